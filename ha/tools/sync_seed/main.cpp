// tandem-sync-seed: a test tool that fills the cluster's stick tables fast.
//
// It stands in for one node's ha-agent on the sync port (that agent must be
// stopped): it listens on the node's address, waits for the configured peers
// that dial it (the nodes whose names sort lower), authenticates with the
// cluster key like the agent does (ha/sync/sync_auth.h), and sends each of
// them COUNT entries of POOL in acknowledged batches, spread round-robin over
// SERVERS. It exits 0 once every peer acknowledged every batch, 1 on a
// timeout or error. The integration tests use it to build a 30k-entry table
// in a second instead of 30k client connections. Not installed.
//
//   tandem-sync-seed --key-file F --cluster NAME --node edge3 --listen 198.18.0.13:5800
//                    --peers edge1,edge2 --pool web --servers backend1,backend2 --count 30000
//                    [--key-prefix 10.] [--ttl-ms 600000] [--timeout-s 20]
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <openssl/rand.h>

#include "common/framing.h"
#include "common/hmac.h"
#include "ha/sync/sync_auth.h"
#include "ha/sync/sync_frames.h"

namespace {

using boost::asio::ip::tcp;
namespace sync = tandem::ha::sync;

struct Options {
  std::string key_file, cluster, node, listen, pool, key_prefix = "10.";
  std::set<std::string> peers;
  std::vector<std::string> servers;
  std::size_t count = 0;
  std::uint32_t ttl_ms = 600000;
  int timeout_s = 20;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// The key of entry I: PREFIX followed by I as a dotted quad's last three bytes.
std::string entry_key(const std::string& prefix, std::size_t i) {
  return prefix + std::to_string((i >> 16) & 0xff) + "." + std::to_string((i >> 8) & 0xff) + "." +
         std::to_string(i & 0xff);
}

void write_all(tcp::socket& socket, const std::string& bytes) { boost::asio::write(socket, boost::asio::buffer(bytes)); }

std::string read_payload(tcp::socket& socket) {
  unsigned char header[4];
  boost::asio::read(socket, boost::asio::buffer(header));
  const std::size_t length = (std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) |
                             (std::size_t{header[2]} << 8) | std::size_t{header[3]};
  if (length > tandem::kDefaultMaxFrameBytes) throw std::runtime_error("frame too large");
  std::string payload(length, '\0');
  if (length) boost::asio::read(socket, boost::asio::buffer(payload));
  return payload;
}

// Every frame the seed sends: COUNT entries in acknowledged change batches
// (BATCHES is set to how many), then an empty snapshot_end.
std::string seed_frames(const Options& o, sync::SyncAuth& auth, std::uint64_t& batches) {
  const std::size_t batch = 512;
  std::string out;
  for (std::size_t i = 0; i < o.count; i += batch) {
    std::vector<tandem::wire::StickEntry> entries;
    for (std::size_t j = i; j < std::min(o.count, i + batch); ++j) {
      auto& e = entries.emplace_back();
      e.set_pool(o.pool);
      e.set_key(entry_key(o.key_prefix, j));
      e.set_server(o.servers[j % o.servers.size()]);
      e.set_ttl_remaining_ms(o.ttl_ms);
      e.set_version(1);
      e.set_origin(o.node);
    }
    out += tandem::encode_frame_bytes(auth.seal(sync::stick_message(std::move(entries), false, false, ++batches)));
  }
  out += tandem::encode_frame_bytes(auth.seal(sync::stick_message({}, true, true, 0)));
  return out;
}

// Serves one dialing peer; returns its name once it acknowledged everything.
std::string serve(tcp::socket socket, const Options& o, const std::string& key) {
  std::string nonce(sync::kNonceBytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size()));
  sync::SyncAuth auth(key, o.cluster, o.node, nonce, false);
  write_all(socket, tandem::encode_frame_bytes(auth.hello("")));
  if (auto error = auth.accept_hello(read_payload(socket), o.peers))
    throw std::runtime_error("hello refused: " + std::string(sync::to_string(*error)));
  std::uint64_t batches = 0;
  const std::string out = seed_frames(o, auth, batches);
  std::thread writer([&socket, &out] { write_all(socket, out); });
  std::set<std::uint64_t> acked;
  try {
    while (acked.size() < batches) {
      sync::AuthError error{};
      auto message = auth.open(read_payload(socket), error);
      if (!message) throw std::runtime_error("frame refused: " + std::string(sync::to_string(error)));
      if (message->has_ack()) acked.insert(message->ack().batch());
      // The peer's own snapshot needs no answer: its frames carry batch 0.
      if (message->has_stick() && message->batch() != 0)
        write_all(socket, tandem::encode_frame_bytes(auth.seal(sync::ack_message(message->batch()))));
    }
  } catch (...) {
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    writer.join();
    throw;
  }
  writer.join();
  return auth.peer();
}

// Reads the command line into O; 0, or the exit status after a message.
int parse_options(int argc, char** argv, Options& o) {
  std::map<std::string, std::string*> text{{"--key-file", &o.key_file}, {"--cluster", &o.cluster},
                                           {"--node", &o.node},         {"--listen", &o.listen},
                                           {"--pool", &o.pool},         {"--key-prefix", &o.key_prefix}};
  try {
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string flag = argv[i], value = argv[i + 1];
      if (auto it = text.find(flag); it != text.end()) {
        *it->second = value;
      } else if (flag == "--peers") {
        for (auto& p : split(value)) o.peers.insert(p);
      } else if (flag == "--servers") {
        o.servers = split(value);
      } else if (flag == "--count") {
        o.count = std::stoul(value);
      } else if (flag == "--ttl-ms") {
        o.ttl_ms = static_cast<std::uint32_t>(std::stoul(value));
      } else if (flag == "--timeout-s") {
        o.timeout_s = std::stoi(value);
      } else {
        std::cerr << "tandem-sync-seed: unknown option " << flag << " (see the comment in its main.cpp)\n";
        return 2;
      }
    }
  } catch (const std::exception&) {
    std::cerr << "tandem-sync-seed: bad number in the arguments\n";
    return 2;
  }
  if (o.key_file.empty() || o.cluster.empty() || o.node.empty() || o.listen.empty() || o.pool.empty() ||
      o.peers.empty() || o.servers.empty()) {
    std::cerr << "tandem-sync-seed: --key-file, --cluster, --node, --listen, --pool, --peers and --servers "
                 "are required\n";
    return 2;
  }
  return 0;
}

// Listens on O.listen (ADDRESS:PORT, checked by the caller).
tcp::acceptor listen_on(boost::asio::io_context& io, const Options& o, std::size_t colon) {
  const tcp::endpoint ep(boost::asio::ip::make_address(o.listen.substr(0, colon)),
                         static_cast<std::uint16_t>(std::stoi(o.listen.substr(colon + 1))));
  tcp::acceptor acceptor(io);
  acceptor.open(ep.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen();
  std::cout << "listening " << o.listen << std::endl;
  // A watchdog bounds the whole run: the peers must dial within it.
  std::thread([t = o.timeout_s] {
    std::this_thread::sleep_for(std::chrono::seconds(t));
    std::cerr << "tandem-sync-seed: timed out after " << t << " s\n";
    std::_Exit(1);
  }).detach();
  return acceptor;
}

// Accepts (polling, so a finished run stops) until every peer of O is
// seeded, one thread per connection; returns the peers seeded.
std::set<std::string> seed_peers(boost::asio::io_context& io, tcp::acceptor& acceptor, const Options& o,
                                 const std::string& key) {
  std::mutex mutex;
  std::set<std::string> done;
  std::vector<std::thread> workers;
  acceptor.non_blocking(true);
  for (;;) {
    {
      std::lock_guard lock(mutex);
      if (done.size() == o.peers.size()) break;
    }
    tcp::socket socket(io);
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (ec) throw boost::system::system_error(ec);
    socket.non_blocking(false);
    workers.emplace_back([&, s = std::move(socket)]() mutable {
      try {
        auto peer = serve(std::move(s), o, key);
        std::lock_guard lock(mutex);
        done.insert(peer);
        std::cout << "seeded peer=" << peer << " entries=" << o.count << std::endl;
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        std::cerr << "tandem-sync-seed: connection failed (the peer redials): " << e.what() << "\n";
      }
    });
  }
  for (auto& w : workers) w.join();
  return done;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const int status = parse_options(argc, argv, o)) return status;
  std::string key, error;
  if (!tandem::read_key_file(o.key_file, key, error)) {
    std::cerr << "tandem-sync-seed: " << error << "\n";
    return 2;
  }
  const auto colon = o.listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "tandem-sync-seed: --listen wants ADDRESS:PORT\n";
    return 2;
  }
  try {
    boost::asio::io_context io;
    auto acceptor = listen_on(io, o, colon);
    const auto started = std::chrono::steady_clock::now();
    const auto done = seed_peers(io, acceptor, o, key);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    std::cout << "done peers=" << done.size() << " ms=" << ms.count() << std::endl;
    return done.size() == o.peers.size() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "tandem-sync-seed: " << e.what() << "\n";
    return 1;
  }
}
