#include "common/hmac.h"

#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tandem {

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

bool hmac_verify(std::string_view key, std::string_view data, std::string_view signature) {
  if (signature.size() != sizeof(Digest)) return false;
  const Digest expected = hmac_sha256(key, data);
  return CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

namespace {

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

bool read_key_file(const std::string& path, std::string& key, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read key file " + path +
            ": create it with e.g. 'head -c 32 /dev/urandom | base64 > " + path +
            "' and copy it to every node";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string raw = ss.str();
  const auto first = raw.find_first_not_of(" \t\r\n");
  const auto last = raw.find_last_not_of(" \t\r\n");
  key = first == std::string::npos ? std::string() : raw.substr(first, last - first + 1);
  if (key.size() < kMinKeyBytes) {
    error = "key file " + path + " holds " + std::to_string(key.size()) + " bytes; at least " +
            std::to_string(kMinKeyBytes) + " are needed: write a new one with 'head -c 32 /dev/urandom | base64 > " + path +
            "' and copy it to every node";
    return false;
  }
  return true;
}

bool key_file_is_private(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = "cannot read key file " + path + ": " + std::strerror(errno);
    return false;
  }
  if (st.st_mode & S_IROTH) {
    error = "key file " + path + " is readable by every user (mode " + mode_text(st.st_mode) +
            "): anyone on this host could forge adverts and control requests; run 'chmod 600 " + path +
            "' (or, for the packaged units, 'chown root:tandem " + path + " && chmod 640 " + path + "')";
    return false;
  }
  return true;
}

}  // namespace tandem
