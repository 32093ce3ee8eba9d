#include "lb/h2/server_codec.h"

#include <algorithm>
#include <cstring>

#include <nghttp2/nghttp2.h>

namespace tandem::lb::h2 {

namespace {

// The encoded bytes one header block may take beyond the decoded list limit:
// padding, and HPACK's table-size updates.
constexpr std::size_t kHeaderBlockSlack = 16384;

FrameType frame_type(std::uint8_t t) { return static_cast<FrameType>(t); }

}  // namespace

const char* ending_name(Ending e) {
  switch (e) {
    case Ending::none: return "none";
    case Ending::protocol_error: return "protocol_error";
    case Ending::reset_flood: return "reset_flood";
    case Ending::header_flood: return "header_flood";
    case Ending::control_flood: return "control_flood";
    case Ending::peer_goaway: return "peer_goaway";
  }
  return "unknown";
}

// nghttp2's callbacks, as friends of the codec.
struct Callbacks {
  static ServerCodec& codec(void* user) { return *static_cast<ServerCodec*>(user); }

  static Stream* find(ServerCodec& c, std::int32_t id) {
    auto it = c.streams_.find(id);
    return it == c.streams_.end() ? nullptr : it->second.get();
  }

  // Every frame header, before its payload: the flood guards' input.
  static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user) {
    auto& c = codec(user);
    const auto type = frame_type(hd->type);
    const auto block = c.header_blocks_.frame(type, hd->flags, hd->length);
    if (block == HeaderBlockGuard::Verdict::too_many_frames || block == HeaderBlockGuard::Verdict::too_many_bytes) {
      c.end(Ending::header_flood, NGHTTP2_ENHANCE_YOUR_CALM);
    } else if (c.control_.frame(type, hd->flags, hd->length, c.now_)) {
      c.end(Ending::control_flood, NGHTTP2_ENHANCE_YOUR_CALM);
    }
    return 0;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& c = codec(user);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    if (c.ending_ != Ending::none) return 0;
    auto stream = std::make_shared<Stream>();
    stream->id = frame->hd.stream_id;
    c.streams_.emplace(stream->id, std::move(stream));
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user) {
    auto& c = codec(user);
    auto* s = find(c, frame->hd.stream_id);
    if (!s || s->head_complete) return 0;  // trailers: not forwarded (the body is sent with a length or chunked)
    s->head.add({reinterpret_cast<const char*>(name), namelen}, {reinterpret_cast<const char*>(value), valuelen},
                c.settings_.max_header_list_bytes, c.settings_.max_header_count);
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& c = codec(user);
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS: {
        auto it = c.streams_.find(frame->hd.stream_id);
        if (it == c.streams_.end()) return 0;
        auto& s = *it->second;
        if (!s.head_complete) {
          s.head_complete = true;
          s.request_complete = end_stream;
          c.notices_.push_back({Notice::Kind::request, it->second});
        } else if (end_stream) {
          s.request_complete = true;  // trailers end the body
          c.notices_.push_back({Notice::Kind::body, it->second});
        }
        return 0;
      }
      case NGHTTP2_DATA: {
        auto it = c.streams_.find(frame->hd.stream_id);
        if (it == c.streams_.end() || !end_stream) return 0;
        it->second->request_complete = true;
        c.notices_.push_back({Notice::Kind::body, it->second});
        return 0;
      }
      case NGHTTP2_RST_STREAM: {
        ++c.client_resets_;
        if (auto* s = find(c, frame->hd.stream_id)) s->reset_by_client = true;
        if (c.resets_.reset(c.now_)) c.end(Ending::reset_flood, NGHTTP2_ENHANCE_YOUR_CALM);
        return 0;
      }
      case NGHTTP2_GOAWAY:
        if (c.ending_ == Ending::none) c.ending_ = Ending::peer_goaway;
        return 0;
      default:
        return 0;
    }
  }

  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data, std::size_t len,
                           void* user) {
    auto& c = codec(user);
    auto it = c.streams_.find(id);
    if (it == c.streams_.end()) {
      // Not ours (refused or reset): hand the window back at once.
      nghttp2_session_consume_connection(c.session_, len);
      return 0;
    }
    auto& s = *it->second;
    s.body_in.append(reinterpret_cast<const char*>(data), len);
    s.body_received += len;
    s.body_unconsumed += len;
    c.notices_.push_back({Notice::Kind::body, it->second});
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t code, void* user) {
    codec(user).stream_closed(id, code);
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source* source, void*) {
    auto& s = *static_cast<Stream*>(source->ptr);
    const std::size_t n = std::min(length, s.body_out_backlog());
    if (n == 0 && !s.body_out_end) {
      s.deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    std::memcpy(buf, s.body_out.data() + s.body_out_at, n);
    s.body_out_at += n;
    if (s.body_out_at == s.body_out.size()) {
      s.body_out.clear();
      s.body_out_at = 0;
      if (s.body_out_end) *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return static_cast<ssize_t>(n);
  }
};

ServerCodec::ServerCodec(const CodecSettings& settings)
    : settings_(settings),
      resets_(settings.max_resets_per_window, settings.flood_window),
      header_blocks_(settings.max_header_frames, settings.max_header_list_bytes + kHeaderBlockSlack),
      control_(settings.max_control_frames_per_window, settings.flood_window) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, &Callbacks::on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // Request bodies are handed back to flow control as they are forwarded
  // (consumed()), so a slow server slows the client instead of filling memory.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  // nghttp2's own bounds agree with ours; whichever sees the flood first ends it.
  nghttp2_option_set_max_continuations(opt, settings.max_header_frames);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_option_set_max_settings(opt, NGHTTP2_DEFAULT_MAX_SETTINGS);
  nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);

  const nghttp2_settings_entry entries[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_window_bytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings.max_header_list_bytes},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries, std::size(entries));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<std::int32_t>(settings.connection_window_bytes));
}

ServerCodec::~ServerCodec() { nghttp2_session_del(session_); }

bool ServerCodec::receive(std::span<const std::uint8_t> bytes, SteadyTime now) {
  now_ = now;
  if (ending_ != Ending::none && ending_ != Ending::peer_goaway) return false;
  const auto n = nghttp2_session_mem_recv(session_, bytes.data(), bytes.size());
  if (n < 0) {
    if (n == NGHTTP2_ERR_FLOODED) {
      end(Ending::control_flood, NGHTTP2_ENHANCE_YOUR_CALM);
    } else if (n == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
      end(Ending::header_flood, NGHTTP2_ENHANCE_YOUR_CALM);
    } else {
      end(Ending::protocol_error, NGHTTP2_PROTOCOL_ERROR);
    }
    return false;
  }
  return ending_ == Ending::none || ending_ == Ending::peer_goaway;
}

std::size_t ServerCodec::output(std::string& out, std::size_t max) {
  std::size_t total = 0;
  while (total < max) {
    const std::uint8_t* data = nullptr;
    const auto n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
  }
  return total;
}

bool ServerCodec::alive() const {
  return nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0;
}

void ServerCodec::respond(Stream& stream, unsigned status, std::span<const FieldView> fields, bool has_body) {
  if (stream.closed || stream.responded) return;
  stream.responded = true;
  char code[4] = {char('0' + status / 100 % 10), char('0' + status / 10 % 10), char('0' + status % 10), 0};
  nva_.clear();
  auto nv = [](std::string_view name, std::string_view value) {
    return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                      NGHTTP2_NV_FLAG_NONE};
  };
  nva_.push_back(nv(":status", std::string_view(code, 3)));
  for (const auto& [name, value] : fields) nva_.push_back(nv(name, value));
  nghttp2_data_provider provider{};
  provider.source.ptr = &stream;
  provider.read_callback = &Callbacks::read_body;
  nghttp2_submit_response(session_, stream.id, nva_.data(), nva_.size(), has_body ? &provider : nullptr);
}

void ServerCodec::append_body(Stream& stream, std::string_view bytes) {
  if (stream.closed) return;
  stream.body_out.append(bytes);
  resume(stream);
}

void ServerCodec::end_body(Stream& stream) {
  if (stream.closed) return;
  stream.body_out_end = true;
  resume(stream);
}

void ServerCodec::resume(Stream& stream) {
  if (!stream.deferred) return;
  stream.deferred = false;
  nghttp2_session_resume_data(session_, stream.id);
}

void ServerCodec::reset(Stream& stream, std::uint32_t code) {
  if (stream.closed) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, code);
}

void ServerCodec::consumed(Stream& stream, std::size_t n) {
  n = std::min<std::uint64_t>(n, stream.body_unconsumed);
  if (n == 0 || stream.closed) return;
  stream.body_unconsumed -= n;
  nghttp2_session_consume(session_, stream.id, n);
}

void ServerCodec::shutdown() {
  if (ending_ != Ending::none) return;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
  ending_ = Ending::peer_goaway;  // no new streams either way
}

void ServerCodec::end(Ending why, std::uint32_t code) {
  if (ending_ != Ending::none && ending_ != Ending::peer_goaway) return;
  ending_ = why;
  nghttp2_session_terminate_session(session_, code);
}

void ServerCodec::stream_closed(std::int32_t id, std::uint32_t code) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  auto stream = std::move(it->second);
  streams_.erase(it);
  // The window of body bytes nobody will forward goes back to the connection.
  if (stream->body_unconsumed) nghttp2_session_consume_connection(session_, stream->body_unconsumed);
  stream->body_unconsumed = 0;
  stream->closed = true;
  stream->close_code = code;
  notices_.push_back({Notice::Kind::closed, std::move(stream)});
}

}  // namespace tandem::lb::h2
