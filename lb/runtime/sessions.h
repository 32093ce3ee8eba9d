// The two kinds of client connection a listener hands over.
#pragma once

#include <memory>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/generation.h"

namespace tandem::lb {

class Worker;

// L7: HTTP/1.1 requests, keep-alive on both sides (http_session.cpp).
awaitable<void> run_http_session(Worker& worker, std::shared_ptr<const Generation> gen,
                                 std::shared_ptr<ListenerRuntime> listener, tcp::socket client);

// L4: bytes both ways, half-close forwarded (tcp_session.cpp).
awaitable<void> run_tcp_session(Worker& worker, std::shared_ptr<const Generation> gen,
                                std::shared_ptr<ListenerRuntime> listener, tcp::socket client);

}  // namespace tandem::lb
