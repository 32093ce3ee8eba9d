// An HTTP request header seen as the RequestFields a hash key reads
// (lb/balance/request_key.h), so the key functions stay free of Beast.
#pragma once

#include <boost/beast/http/message.hpp>

#include "lb/balance/request_key.h"
#include "lb/http/cookies.h"

namespace tandem::lb {

// Borrows REQUEST for its own lifetime. FIELDS: ArenaFields (the proxy) or
// Beast's fields (tests).
template <class Fields>
class HttpRequestFields final : public RequestFields {
 public:
  explicit HttpRequestFields(const boost::beast::http::header<true, Fields>& request) : request_(request) {}

  std::optional<std::string_view> header(std::string_view name) const override {
    auto it = request_.find(name);
    if (it == request_.end()) return std::nullopt;
    return std::string_view(it->value());
  }

  std::optional<std::string_view> cookie(std::string_view name) const override {
    return http::find_cookie(request_, name);
  }

  std::string_view target() const override { return std::string_view(request_.target()); }

 private:
  const boost::beast::http::header<true, Fields>& request_;
};

}  // namespace tandem::lb
