#include "ha/sync/frame_cipher.h"

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace tandem::ha::sync {

namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::array<unsigned char, 12> nonce_for(std::uint64_t counter) {
  std::array<unsigned char, 12> nonce{};
  for (int i = 11; i >= 4; --i) {
    nonce[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  return nonce;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, std::size_t length) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr),
                                                                 EVP_PKEY_CTX_free);
  std::string out(length, '\0');
  std::size_t got = length;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), bytes(salt), static_cast<int>(salt.size())) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), bytes(ikm), static_cast<int>(ikm.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), bytes(info), static_cast<int>(info.size())) <= 0 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &got) <= 0 || got != length)
    throw std::runtime_error("HKDF-SHA256 failed in OpenSSL");
  return out;
}

FrameCipher::FrameCipher(std::string key) : key_(std::move(key)) {
  if (key_.size() != kCipherKeyBytes) throw std::invalid_argument("FrameCipher wants a 32-byte key");
}

std::string FrameCipher::seal(std::uint64_t counter, std::string_view plaintext) const {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  const auto nonce = nonce_for(counter);
  std::string out(plaintext.size() + kCipherTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0, fin = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_), nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), o, &len, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kCipherTagBytes),
                          o + plaintext.size()) != 1)
    throw std::runtime_error("AES-256-GCM seal failed in OpenSSL");
  return out;
}

std::optional<std::string> FrameCipher::open(std::uint64_t counter, std::string_view sealed) const {
  if (sealed.size() < kCipherTagBytes) return std::nullopt;
  const std::size_t n = sealed.size() - kCipherTagBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  const auto nonce = nonce_for(counter);
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  std::array<unsigned char, kCipherTagBytes> tag;
  std::copy_n(bytes(sealed) + n, kCipherTagBytes, tag.data());
  int len = 0, fin = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_), nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), o, &len, bytes(sealed), static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kCipherTagBytes), tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), o + len, &fin) != 1)
    return std::nullopt;
  return out;
}

}  // namespace tandem::ha::sync
