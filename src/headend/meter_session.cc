#include "headend/meter_session.h"

#include <algorithm>
#include <variant>

#include "dlms/apdu/ciphered.h"
#include "dlms/cosem/is15959.h"
#include "dlms/cosem/vidyut_objects.h"

namespace vidyut::headend {

namespace is = dlms::is15959;
using dlms::Data;

namespace {

std::string hex_title(const dlms::security::SystemTitle& t) {
  static const char* d = "0123456789ABCDEF";
  std::string s;
  for (auto b : t) {
    s.push_back(d[b >> 4]);
    s.push_back(d[b & 15]);
  }
  return s;
}

const dlms::AttributeDescriptor kRelayState{70, is::kDisconnectControl, 2};
const dlms::AttributeDescriptor kClockTime{8, is::kClock, 2};
const dlms::AttributeDescriptor kBlockBuffer{7, is::kBlockLoadProfile, 2};
const dlms::AttributeDescriptor kInstantBuffer{7, is::kInstantaneousProfile, 2};
const dlms::AttributeDescriptor kLimiterNormal{71, is::kLimiter, 4};
const dlms::AttributeDescriptor kPaymentModeValue{1, is::kPaymentMode, 2};
const dlms::AttributeDescriptor kActiveSimValue{1, dlms::vidyut_objects::kActiveSim, 2};

std::string access_text(dlms::DataAccessResult r) {
  return "meter answered data-access-result " + std::to_string(static_cast<int>(r));
}

// The meter status read's answers: {clock, active SIM}.
MeterStatus status_of(const std::vector<dlms::GetDataResult>& results) {
  MeterStatus s;
  if (results.size() != 2) {
    s.error = "meter status: " + std::to_string(results.size()) + " results for 2 attributes";
    return s;
  }
  if (const Data* v = std::get_if<Data>(&results[0])) {
    if (auto dt = v->as_date_time()) {
      if (auto u = dt->to_utc(); u.ok()) s.meter_time = *u;
    }
  }
  if (const Data* v = std::get_if<Data>(&results[1])) {
    namespace vo = dlms::vidyut_objects;
    const auto* fields = v->as_list();
    if (fields != nullptr && fields->size() > vo::kActiveSimOperatorField) {
      const auto sim = (*fields)[vo::kActiveSimNumberField].as_uint();
      const std::string* op = (*fields)[vo::kActiveSimOperatorField].as_text();
      if (sim && *sim <= 2 && op && op->size() <= 64) {
        s.active_sim = static_cast<std::uint8_t>(*sim);
        s.sim_operator = *op;
      }
    }
  }
  if (!s.meter_time && !s.active_sim) s.error = "meter status: neither clock nor SIM readable";
  return s;
}

}  // namespace

std::optional<std::int64_t> MeterStatus::drift_ms() const {
  if (!meter_time) return std::nullopt;
  const std::int64_t t0 = sent.time_since_epoch().count();
  const std::int64_t t1 = received.time_since_epoch().count();
  const std::int64_t mid = t0 + (t1 - t0) / 2;
  return meter_time->time_since_epoch().count() - mid;
}

MeterSession::MeterSession(SessionHost& host, const Clock& clock, SessionOptions options,
                           std::uint64_t connection_id, std::string peer)
    : host_(host),
      clock_(clock),
      options_(options),
      connection_id_(connection_id),
      peer_(std::move(peer)),
      decoder_(kMaxMeterApdu) {}

MeterSession::MeterSession(SessionHost& host, const Clock& clock, SessionOptions options,
                           std::uint64_t connection_id, std::string peer, MeterContext dialed)
    : MeterSession(host, clock, options, connection_id, std::move(peer)) {
  layout_ = block_layout_for_kind(dialed.kind);
  meter_ = std::move(dialed);
  meter_->connection_id = connection_id_;
  dialed_ = true;
}

MeterSession::~MeterSession() { on_closed(); }

Error MeterSession::reject(std::string_view action, std::string_view subject, std::string detail) {
  host_.rejected(action, subject, detail);
  close_ = true;
  return Error(Errc::kRefused, std::string(action) + ": " + detail);
}

Result<Bytes> MeterSession::on_bytes(ByteView data) {
  if (close_) return Bytes{};
  decoder_.feed(data);
  Bytes out;
  while (true) {
    auto f = decoder_.next();
    if (!f.ok()) {
      return reject("reject-malformed", meter_ ? meter_->serial : peer_,
                    "undecodable wrapper stream: " + f.error().message);
    }
    if (!*f) break;
    if (++frames_ > kMaxFramesPerSession) {
      return reject("reject-flood", meter_ ? meter_->serial : peer_,
                    "more than " + std::to_string(kMaxFramesPerSession) + " frames in a session");
    }
    auto r = on_apdu((*f)->apdu);
    if (!r.ok()) return r.error();
    out.insert(out.end(), r->begin(), r->end());
    if (close_) break;
  }
  // Slow sender: a frame that has begun must be complete within frame_timeout.
  if (decoder_.buffered() == 0) {
    frame_deadline_.reset();
  } else if (!frame_deadline_) {
    frame_deadline_ = timer_now() + options_.frame_timeout;
  }
  return out;
}

Result<Bytes> MeterSession::on_apdu(const Bytes& apdu) {
  if (dlms::ClientCodec::looks_like_notification(apdu)) return on_push(apdu);
  if (!meter_) {
    return reject("reject-malformed", peer_, "first frame is not a ciphered push");
  }
  if (state_ == State::kIdle || state_ == State::kReady) {
    return reject("reject-malformed", meter_->serial, "unexpected APDU while no request is open");
  }
  return on_response(apdu);
}

Result<Bytes> MeterSession::on_push(const Bytes& apdu) {
  // general-glo-ciphering: tag, title length, title, then the ciphered content.
  if (apdu.size() < 2 || apdu[0] != dlms::tag::kGeneralGloCiphering) {
    return reject("reject-malformed", meter_ ? meter_->serial : peer_,
                  "push not ciphered (a plain push cannot be authenticated)");
  }
  ByteReader in(apdu);
  auto c = dlms::decode_ciphered(in);
  if (!c.ok() || !c->system_title || c->system_title->size() != 8) {
    return reject(
        "reject-malformed", meter_ ? meter_->serial : peer_,
        "undecodable ciphered push" + (c.ok() ? std::string() : ": " + c.error().message));
  }
  dlms::security::SystemTitle title{};
  std::copy(c->system_title->begin(), c->system_title->end(), title.begin());
  if (!meter_) {
    auto m = host_.find_meter(title);
    if (!m) {
      return reject("reject-unknown-meter", peer_,
                    "system title " + hex_title(title) + " is not in the registry");
    }
    meter_ = std::move(*m);
    meter_->connection_id = connection_id_;
    layout_ = block_layout_for_kind(meter_->kind);
  } else if (title != meter_->title) {
    return reject("reject-malformed", meter_->serial,
                  "push from another system title (" + hex_title(title) + ") on this session");
  }
  dlms::ClientSettings cs;
  cs.keys.block_key = meter_->secrets.ek;
  cs.keys.auth_key = meter_->secrets.ak;
  dlms::ClientCodec codec(cs);
  auto n = codec.decode_notification(apdu);
  if (!n.ok()) {
    const bool auth = n.error().code == Errc::kAuthFailed;
    return reject(
        auth ? "reject-auth" : "reject-malformed", meter_->serial,
        (auth ? "push failed authentication with the meter's keys: " : "push did not decode: ") +
            n.error().message);
  }
  if (c->invocation_counter <= meter_->push_ic) {
    return reject("reject-replay", meter_->serial,
                  "invocation counter " + std::to_string(c->invocation_counter) +
                      " not above the last accepted " + std::to_string(meter_->push_ic));
  }
  auto p = decode_push(*n, layout_, options_.rows);
  if (!p.ok()) {
    return reject("reject-malformed", meter_->serial, "push content: " + p.error().message);
  }
  meter_->push_ic = c->invocation_counter;
  if (!attached_) {
    attached_ = true;
    host_.attached(*meter_, connection_id_, peer_);
  }
  host_.pushed(*meter_, c->invocation_counter, *p);
  if (state_ == State::kIdle || state_ == State::kReady) return start_work();
  return Bytes{};
}

Result<Bytes> MeterSession::send(Result<Bytes> apdu) {
  if (!apdu.ok()) return apdu.error();
  deadline_ = timer_now() + options_.request_timeout;
  return dlms::wrap(is::kSapUtility, 1, *apdu);
}

Result<Bytes> MeterSession::start_work() {
  if (!meter_ || close_) return Bytes{};
  auto tasks = host_.plan(*meter_);
  if (tasks.empty()) return Bytes{};
  for (auto& t : tasks) tasks_.push_back(std::move(t));
  if (state_ == State::kReady) return next_task();
  dlms::ClientSettings cs;
  cs.client_sap = is::kSapUtility;
  cs.auth = dlms::Authentication::kHlsGmac;
  cs.security = dlms::security::SecurityPolicy::kAuthenticatedEncrypted;
  cs.client_title = options_.client_title;
  cs.keys.block_key = meter_->secrets.ek;
  cs.keys.auth_key = meter_->secrets.ak;
  cs.quirks = meter_->quirks;
  cs.invocation_counter = host_.reserve_client_ic(*meter_, options_.ic_reserve);
  ic_end_ = *cs.invocation_counter + options_.ic_reserve;
  if (ic_end_ < *cs.invocation_counter) ic_end_ = 0xFFFFFFFFu;  // no wrap: the codec refuses first
  codec_ = std::make_unique<dlms::ClientCodec>(cs);
  state_ = State::kAssociating;
  return send(codec_->build_aarq());
}

Result<Bytes> MeterSession::on_wake() {
  if (close_) return Bytes{};
  if (frame_deadline_ && timer_now() >= *frame_deadline_) {
    return reject("reject-slow", meter_ ? meter_->serial : peer_,
                  "a frame was not complete " + std::to_string(options_.frame_timeout.count()) +
                      " ms after it began (" + std::to_string(decoder_.buffered()) +
                      " bytes received)");
  }
  if (dialed_ && !attached_) {
    attached_ = true;
    host_.attached(*meter_, connection_id_, peer_);
    auto first = start_work();
    if (first.ok() && first->empty() && state_ == State::kIdle) close_ = true;  // nothing to do
    return first;
  }
  if (state_ != State::kIdle && state_ != State::kReady && deadline_ && timer_now() >= *deadline_) {
    return fail_current(Error(Errc::kTimeout, "the meter did not answer in time"), true);
  }
  if (state_ == State::kIdle || state_ == State::kReady) return start_work();
  return Bytes{};
}

std::optional<Millis> MeterSession::wake_after() const {
  std::optional<UtcTime> next;
  if (state_ != State::kIdle && state_ != State::kReady && deadline_) next = deadline_;
  if (frame_deadline_ && (!next || *frame_deadline_ < *next)) next = frame_deadline_;
  if (!next) return std::nullopt;
  const auto left = *next - timer_now();
  return std::max(Millis(0), std::chrono::duration_cast<Millis>(left));
}

Result<Bytes> MeterSession::fail_current(const Error& e, bool retryable) {
  // The association is in an unknown state: report, and close the connection; the meter
  // reconnects and the work is planned again.
  if (current_) report_failure(*current_, e, retryable, false);
  current_.reset();
  for (auto& t : tasks_) report_failure(t, e, true, true);  // the host plans them again
  tasks_.clear();
  state_ = State::kIdle;
  deadline_.reset();
  close_ = true;
  return Bytes{};
}

void MeterSession::report_failure(const Task& t, const Error& e, bool retryable,
                                  bool not_attempted) {
  const std::string text = (not_attempted ? "not attempted: " : "") + e.message;
  switch (t.kind) {
    case Task::Kind::kCommand:
      host_.command_done(*meter_, t, TaskOutcome{false, retryable, text, {}});
      break;
    case Task::Kind::kRangeRead:
      host_.read_done(*meter_, t, Error(e.code, text));
      break;
    case Task::Kind::kProfileRead:
      host_.profile_read_done(*meter_, t, Error(e.code, text));
      break;
    case Task::Kind::kMeterStatus: {
      MeterStatus s;
      s.error = text;
      (void)host_.status_read(*meter_, s);
      break;
    }
  }
}

void MeterSession::finish_command(bool ok, bool retryable, std::string text,
                                  std::vector<store::ProfileRow> rows) {
  if (!current_) return;
  host_.command_done(*meter_, *current_,
                     TaskOutcome{ok, retryable, std::move(text), std::move(rows)});
}

Result<Bytes> MeterSession::next_task() {
  current_.reset();
  step_ = 0;
  if (tasks_.empty()) {
    state_ = State::kReady;
    deadline_.reset();
    if (dialed_) close_ = true;  // the head end opened it for this work: done
    return Bytes{};
  }
  // Each request takes one counter; GET block transfers take more (next-block requests). Leave
  // room for a full profile read in blocks.
  if (std::uint64_t{codec_->next_invocation_counter()} + 1'024 >= ic_end_) {
    return fail_current(Error(Errc::kLimitExceeded, "invocation counter reservation used up"),
                        true);
  }
  current_ = std::move(tasks_.front());
  tasks_.pop_front();
  state_ = State::kWorking;
  const Task& t = *current_;
  if (t.kind == Task::Kind::kRangeRead) {
    const std::int64_t shift = options_.rows.stamp_at_end ? options_.rows.period_s * 1000 : 0;
    const auto from = dlms::CosemDateTime::from_utc(t.from + Millis(shift));
    const auto to = dlms::CosemDateTime::from_utc(t.to + Millis(shift) - Millis(1000));
    return send(codec_->build_get(kBlockBuffer, dlms::make_range_access(from, to)));
  }
  if (t.kind == Task::Kind::kMeterStatus) {
    status_sent_ = clock_.now();
    return send(codec_->build_get_list({kClockTime, kActiveSimValue}));
  }
  if (t.kind == Task::Kind::kProfileRead) {
    const auto& specs = scheduled_profiles();
    if (t.profile >= specs.size()) {
      host_.profile_read_done(*meter_, t, Error(Errc::kInvalidArgument, "no such profile"));
      return next_task();
    }
    const dlms::AttributeDescriptor buffer{7, specs[t.profile].obis, 2};
    if (specs[t.profile].whole_buffer) return send(codec_->build_get(buffer));
    return send(
        codec_->build_get(buffer, dlms::make_range_access(dlms::CosemDateTime::from_utc(t.from),
                                                          dlms::CosemDateTime::from_utc(t.to))));
  }
  const store::Command& c = t.command;
  switch (c.kind) {
    case store::CommandKind::kConnect:
      return send(codec_->build_action({70, is::kDisconnectControl, 2}, Data::integer(0)));
    case store::CommandKind::kDisconnect:
      return send(codec_->build_action({70, is::kDisconnectControl, 1}, Data::integer(0)));
    case store::CommandKind::kPing:
      return send(codec_->build_get(kClockTime));
    case store::CommandKind::kRead: {
      if (c.argument == kTokenLogArgument) {
        // The token log by range: the last window, and a day ahead for a meter clock that runs
        // ahead of ours.
        const ProfileSpec& spec = token_log_profile();
        const UtcTime now = clock_.now();
        return send(
            codec_->build_get({7, spec.obis, 2},
                              dlms::make_range_access(
                                  dlms::CosemDateTime::from_utc(now - Millis(spec.window_s * 1000)),
                                  dlms::CosemDateTime::from_utc(now + Millis(86'400'000)))));
      }
      return send(codec_->build_get(kInstantBuffer));
    }
    case store::CommandKind::kClockSet:
      return send(codec_->build_set(
          kClockTime, Data::date_time_octets(dlms::CosemDateTime::from_utc(clock_.now()))));
    case store::CommandKind::kLoadLimit: {
      std::uint32_t w = 0;
      try {
        w = static_cast<std::uint32_t>(std::stoul(c.argument));
      } catch (...) {
        finish_command(false, false, "load limit is not a number of watts: " + c.argument);
        return next_task();
      }
      return send(codec_->build_set(kLimiterNormal, Data::double_long_unsigned(w)));
    }
    case store::CommandKind::kPaymentMode: {
      if (c.argument != "prepaid" && c.argument != "postpaid") {
        finish_command(false, false, "payment mode must be prepaid or postpaid: " + c.argument);
        return next_task();
      }
      return send(
          codec_->build_set(kPaymentModeValue, Data::enumerated(c.argument == "prepaid" ? 1 : 0)));
    }
  }
  finish_command(false, false, "unknown command kind");
  return next_task();
}

Result<Bytes> MeterSession::on_response(const Bytes& apdu) {
  deadline_.reset();
  switch (state_) {
    case State::kIdle:
    case State::kReady:
      return Bytes{};
    case State::kAssociating: {
      auto st = codec_->on_aare(apdu);
      if (!st.ok()) {
        if (st.error().code == Errc::kAuthFailed) {
          host_.rejected("association-refused", meter_->serial, st.error().message);
        }
        return fail_current(st.error(), true);
      }
      if (codec_->hls_pending()) {
        state_ = State::kHls;
        return send(codec_->build_hls_reply());
      }
      return next_task();
    }
    case State::kHls: {
      auto st = codec_->on_hls_reply_response(apdu);
      if (!st.ok()) {
        host_.rejected("reject-auth", meter_->serial,
                       "HLS-GMAC: the meter's reply did not verify: " + st.error().message);
        return fail_current(st.error(), true);
      }
      return next_task();
    }
    case State::kWorking:
      break;
  }
  if (!current_) return next_task();
  Task& t = *current_;
  const bool is_get = t.kind == Task::Kind::kRangeRead || t.kind == Task::Kind::kProfileRead ||
                      t.kind == Task::Kind::kMeterStatus ||
                      (t.command.kind == store::CommandKind::kPing) ||
                      (t.command.kind == store::CommandKind::kRead) ||
                      ((t.command.kind == store::CommandKind::kConnect ||
                        t.command.kind == store::CommandKind::kDisconnect) &&
                       step_ == 1);
  if (is_get) {
    const dlms::QuirkCounts before = codec_->deviations();
    auto g = codec_->on_get_response(apdu);
    for (std::size_t q = 0; q < dlms::kQuirkCount; ++q) {
      for (auto n = codec_->deviations().by_quirk[q] - before.by_quirk[q]; n > 0; --n) {
        host_.deviation_accepted(*meter_, static_cast<dlms::Quirk>(q));
      }
    }
    if (!g.ok()) return fail_current(g.error(), true);
    if (!g->complete) return send(std::move(g->next_request));
    if (t.kind == Task::Kind::kMeterStatus) {
      MeterStatus st = status_of(g->results);
      st.sent = status_sent_;
      st.received = clock_.now();
      if (host_.status_read(*meter_, st)) {
        for (auto& more : host_.plan(*meter_)) tasks_.push_back(std::move(more));
      }
      return next_task();
    }
    if (g->results.size() != 1)
      return fail_current(Error(Errc::kProtocol, "GET result count"), true);
    const auto& res = g->results.front();
    const Data* value = std::get_if<Data>(&res);
    if (t.kind == Task::Kind::kProfileRead) {
      if (value == nullptr) {
        host_.profile_read_done(
            *meter_, t, Error(Errc::kRefused, access_text(std::get<dlms::DataAccessResult>(res))));
      } else {
        host_.profile_read_done(*meter_, t, *value);
      }
      return next_task();
    }
    if (t.kind == Task::Kind::kRangeRead) {
      if (value == nullptr) {
        host_.read_done(*meter_, t,
                        Error(Errc::kRefused, access_text(std::get<dlms::DataAccessResult>(res))));
      } else {
        host_.read_done(*meter_, t, decode_block_rows(*value, layout_, options_.rows));
      }
      return next_task();
    }
    if (value == nullptr) {
      finish_command(false, false, access_text(std::get<dlms::DataAccessResult>(res)));
      return next_task();
    }
    switch (t.command.kind) {
      case store::CommandKind::kPing: {
        const auto dt = value->as_date_time();
        std::string text = "meter clock " + (dt ? dt->to_string() : std::string("?"));
        if (dt) {
          if (auto u = dt->to_utc(); u.ok()) {
            text += ", offset " + std::to_string((*u - clock_.now()).count() / 1000) + " s";
          }
        }
        finish_command(true, false, text);
        break;
      }
      case store::CommandKind::kRead: {
        if (t.command.argument == kTokenLogArgument) {
          auto rows = profile_rows_of(meter_->meter_id, token_log_profile(), *value);
          if (!rows.ok()) {
            finish_command(false, false, "token log: " + rows.error().message);
            break;
          }
          const std::size_t n = rows->size();
          finish_command(true, false,
                         "token log: " + std::to_string(n) + (n == 1 ? " row" : " rows"),
                         std::move(*rows));
          break;
        }
        const auto* l = value->as_list();
        finish_command(true, false,
                       "instantaneous profile: " + std::to_string(l ? l->size() : 0) + " rows");
        break;
      }
      default: {  // relay state after connect / disconnect
        const auto on = value->as_bool();
        const bool want = t.command.kind == store::CommandKind::kConnect;
        if (!on) {
          finish_command(false, true, "relay state unreadable");
        } else if (*on == want) {
          finish_command(true, false, want ? "relay connected" : "relay disconnected");
        } else {
          finish_command(false, true,
                         std::string("relay still ") + (*on ? "connected" : "disconnected"));
        }
        break;
      }
    }
    return next_task();
  }
  if (t.kind == Task::Kind::kCommand && (t.command.kind == store::CommandKind::kConnect ||
                                         t.command.kind == store::CommandKind::kDisconnect)) {
    auto a = codec_->on_action_response(apdu);
    if (!a.ok()) return fail_current(a.error(), true);
    // Whatever the ACTION's result, the relay's state decides: a duplicated or retried relay
    // command on a relay already in the asked state is a success.
    step_ = 1;
    return send(codec_->build_get(kRelayState));
  }
  auto s = codec_->on_set_response(apdu);
  if (!s.ok()) return fail_current(s.error(), true);
  const bool ok = s->size() == 1 && s->front() == dlms::DataAccessResult::kSuccess;
  finish_command(
      ok, false,
      ok ? std::string(store::to_string(t.command.kind)) + " " + t.command.argument + " applied"
         : access_text(s->empty() ? dlms::DataAccessResult::kOtherReason : s->front()));
  return next_task();
}

void MeterSession::on_closed() {
  if (closed_) return;
  closed_ = true;
  if (!meter_ || !attached_) return;
  if (current_ || !tasks_.empty()) {
    const Error e(Errc::kIo, "the connection closed");
    if (current_) report_failure(*current_, e, true, false);
    current_.reset();
    for (auto& t : tasks_) report_failure(t, e, true, true);  // the host plans them again
    tasks_.clear();
  }
  if (codec_) host_.released(*meter_, codec_->next_invocation_counter());
  host_.detached(*meter_, connection_id_);
}

}  // namespace vidyut::headend
