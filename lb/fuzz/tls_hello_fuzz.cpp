// libFuzzer target for what a TLS client's hello makes lb/tls decide: the
// ALPN offer (lb/tls/tls_policy.h, select_alpn) and the SNI name
// (lb/tls/server_names.h). Both come from the ClientHello of anyone who
// connects. The input is ALPN-WIRE '\0' SNI. Checked on every input: a
// selected protocol is one of ours and lies inside the offer; the chosen
// certificate group exists; covers() agrees with choose() (a name nothing
// covers gets the default); the choice ignores case and a trailing dot.
// run: ./tls_hello_fuzz -max_len=1024 lb/fuzz/corpus/tls_hello_fuzz
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "lb/tls/server_names.h"
#include "lb/tls/tls_policy.h"

namespace {

using namespace tandem::lb::tls;

const ServerNames& table() {
  static const ServerNames names = [] {
    ServerNames n;
    n.add(0, {"default.test"});
    n.add(1, {"a.test", "*.a.test"});
    n.add(2, {"www.a.test"});
    n.add(3, {"*.b.test", "xn--bcher-kva.test"});
    return n;
  }();
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\0');
  const auto alpn = input.substr(0, split);
  const auto sni = split == std::string_view::npos ? std::string_view{} : input.substr(split + 1);

  static const std::vector<std::string> ours{"h2", "http/1.1"};
  if (const auto chosen = select_alpn(ours, alpn)) {
    if (std::find(ours.begin(), ours.end(), *chosen) == ours.end()) std::abort();
    if (chosen->data() < alpn.data() || chosen->data() + chosen->size() > alpn.data() + alpn.size()) std::abort();
  }

  const auto& names = table();
  const auto group = names.choose(sni);
  if (group > 3) std::abort();
  if (!names.covers(sni) && group != 0) std::abort();
  std::string upper(sni);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (names.choose(upper) != group) std::abort();
  if (!sni.empty() && sni.back() != '.' && names.choose(std::string(sni) + ".") != group) std::abort();
  return 0;
}
