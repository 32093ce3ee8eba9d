// An io_context that its owner can empty of handlers before the owner's
// other members go.
//
// An io_context destroys the handlers still queued or waiting (and so the
// frames of coroutines suspended in them: sessions open at exit) only in
// its own destructor. An owner that declares it first, as it must for the
// sockets and timers declared after it, destroys it last: those frames'
// destructors (a session's connection count, its upstream slot, its
// registry hook) would run after the members they touch are gone. The owner
// calls destroy_handlers() in its destructor, once nothing runs the context
// any more; the services stay, so the sockets and timers destroyed after it
// still deregister cleanly (Asio's own destructor does the same two steps).
#pragma once

#include <boost/asio/io_context.hpp>

namespace tandem {

class OwnedIoContext : public boost::asio::io_context {
 public:
  using boost::asio::io_context::io_context;

  // Destroys every pending handler, and with it every suspended coroutine
  // frame, now. Call only when no thread runs the context (after run() has
  // returned for good); handlers posted later are destroyed by the
  // io_context's destructor as usual.
  void destroy_handlers() { shutdown(); }
};

}  // namespace tandem
