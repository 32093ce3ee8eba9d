// Writing a message header as bytes, for the relay that sends it with its
// first body bytes in one system call. The output is byte for byte what
// Beast's serializer writes (start line, the fields in order as stored,
// CRLF), without its per-write buffer-sequence machinery. Pure.
#pragma once

#include <boost/beast/http/message.hpp>

#include "lb/http/arena_fields.h"

#include <cstddef>
#include <string>

namespace tandem::lb::http {

/// Appends "METHOD SP target SP HTTP/x.y CRLF", every field as
/// "Name: value CRLF", and the empty line to `out`.
template <class Fields>
void serialize_header(const boost::beast::http::header<true, Fields>& req, std::string& out);

/// Appends "HTTP/x.y SP ### SP reason CRLF" (the reason as received, or the
/// standard one when empty), the fields and the empty line to `out`.
template <class Fields>
void serialize_header(const boost::beast::http::header<false, Fields>& res, std::string& out);

/// Longest chunk-size line chunk_size_line writes (16 hex digits and CRLF).
inline constexpr std::size_t kMaxChunkSizeLine = 18;

/// Writes the chunked-coding size line for a chunk of `size` bytes (lower-case
/// hex, no extension, CRLF) to `out`; returns its length. `size` > 0.
std::size_t chunk_size_line(std::size_t size, char (&out)[kMaxChunkSizeLine]);

}  // namespace tandem::lb::http
