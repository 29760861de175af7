// MeterSession against the fleet simulator's meters, in memory: pushes are identified,
// authenticated and replay-checked; bad input is rejected with an audit record; gap fill and
// commands run over the meter's own session.
#include "headend/meter_session.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "dlms/apdu/apdu.h"
#include "dlms/apdu/ciphered.h"
#include "dlms/apdu/wrapper.h"
#include "fleet/fleet.h"
#include "meter/load_model.h"
#include "token/token.h"

namespace vidyut::headend {
namespace {

const UtcTime kStart = UtcTime(Millis(1'790'000'000'000));  // 2026-09-21

UtcTime ist_midnight(UtcTime t) {
  const std::int64_t ist = 19'800'000, day = 86'400'000;
  const std::int64_t ms = t.time_since_epoch().count();
  return UtcTime(Millis((ms + ist) / day * day - ist));
}

fleet::FleetSpec spec() {
  fleet::FleetSpec s;
  s.seed = 11;
  s.consumers = 20;
  s.consumers_per_dt = 10;
  s.dts_per_feeder = 2;
  return s;
}

fleet::FleetConfig config() {
  fleet::FleetConfig c;
  c.rates = fleet::EventRates::none();
  c.limiter_trips = false;
  return c;
}

MeterContext context_of(const fleet::MeterRecord& r, std::int64_t id) {
  MeterContext c;
  c.meter_id = id;
  c.serial = r.identity.serial;
  c.title = r.identity.system_title;
  c.kind = meter::to_string(r.identity.kind);
  c.secrets.lls_password = r.secrets.lls_password;
  c.secrets.ek = r.secrets.ek;
  c.secrets.ak = r.secrets.ak;
  return c;
}

struct FakeHost final : SessionHost {
  std::map<dlms::security::SystemTitle, MeterContext> registry;
  std::vector<std::pair<std::string, std::string>> rejections;  // action, detail
  std::vector<PushContent> pushes;
  std::vector<std::uint32_t> ics;
  std::vector<Task> next_plan;
  std::vector<std::vector<BlockInterval>> reads;
  std::vector<Error> read_errors;
  std::vector<TaskOutcome> outcomes;
  std::vector<std::pair<std::size_t, Result<dlms::Data>>> profile_reads;
  std::uint32_t next_ic = 1;
  int attached_count = 0, detached_count = 0;

  std::optional<MeterContext> find_meter(const dlms::security::SystemTitle& t) override {
    auto it = registry.find(t);
    if (it == registry.end()) return std::nullopt;
    return it->second;
  }
  void attached(const MeterContext&, std::uint64_t, std::string_view) override { ++attached_count; }
  void rejected(std::string_view a, std::string_view, std::string_view d) override {
    rejections.emplace_back(std::string(a), std::string(d));
  }
  void pushed(const MeterContext& m, std::uint32_t ic, const PushContent& p) override {
    pushes.push_back(p);
    ics.push_back(ic);
    registry[m.title].push_ic = ic;  // as the head end persists it
  }
  std::vector<Task> plan(const MeterContext&) override { return std::exchange(next_plan, {}); }
  std::uint32_t reserve_client_ic(const MeterContext&, std::uint32_t n) override {
    const auto ic = next_ic;
    next_ic += n;
    return ic;
  }
  void read_done(const MeterContext&, const Task&,
                 const Result<std::vector<BlockInterval>>& rows) override {
    if (rows.ok()) {
      reads.push_back(*rows);
    } else {
      read_errors.push_back(rows.error());
    }
  }
  void command_done(const MeterContext&, const Task&, const TaskOutcome& o) override {
    outcomes.push_back(o);
  }
  void detached(const MeterContext&, std::uint64_t) override { ++detached_count; }
  void profile_read_done(const MeterContext&, const Task& t,
                         const Result<dlms::Data>& rows) override {
    profile_reads.emplace_back(t.profile, rows);
  }
  std::vector<dlms::Quirk> deviations;
  void deviation_accepted(const MeterContext&, dlms::Quirk q) override { deviations.push_back(q); }
};

struct Harness {
  ManualClock clock{kStart};
  fleet::Fleet fleet{fleet::generate(spec()), config(), clock};
  FakeHost host;
  std::vector<fleet::Outgoing> frames;

  // Registers every meter of the fleet with the host.
  void register_all() {
    for (std::uint32_t i = 0; i < fleet.topology().meters.size(); ++i) {
      const auto& r = fleet.topology().meters[i];
      host.registry[r.identity.system_title] = context_of(r, i + 1);
    }
  }
  void run(Millis d) {
    for (Millis t{0}; t < d; t += Millis(60'000)) {
      clock.advance(Millis(60'000));
      for (auto& o : fleet.advance(clock.now())) frames.push_back(std::move(o));
    }
  }
  std::vector<Bytes> block_pushes(std::uint32_t m) const {
    std::vector<Bytes> v;
    for (const auto& o : frames) {
      if (o.meter == m && o.kind == fleet::Outgoing::Kind::kBlockLoad) v.push_back(o.frame);
    }
    return v;
  }
};

// Feeds `frame` to the session and plays the meter's side until the session stops asking.
Status converse(MeterSession& s, fleet::Fleet& f, std::uint32_t m, const Bytes& frame,
                std::unique_ptr<fleet::Fleet::Session>& meter) {
  if (!meter) meter = f.make_session(m);
  auto out = s.on_bytes(frame);
  while (out.ok() && !out->empty()) {
    auto reply = meter->on_bytes(*out);
    (void)f.after_session(m);
    if (!reply.ok()) return reply.error();
    out = s.on_bytes(*reply);
  }
  if (!out.ok()) return out.error();
  return ok_status();
}

// Between the session and a fleet meter, plays firmware with the bug an independent meter had:
// a GET answered in blocks ends with an extra last block that holds nothing but the first
// block's array header again. Deciphers the meter's blocks with its keys, marks its last block
// as not last, and answers the session's request for the next block itself.
class RepeatedHeaderFirmware {
 public:
  RepeatedHeaderFirmware(const fleet::MeterRecord& r) : title_(r.identity.system_title) {
    keys_.block_key = r.secrets.ek;
    keys_.auth_key = r.secrets.ak;
  }

  // A frame from the meter to the session, changed where the bug shows.
  Bytes from_meter(const Bytes& frame) {
    dlms::WrapperDecoder d;
    d.feed(frame);
    auto f = d.next();
    if (!f.ok() || !*f || (*f)->apdu.empty() || !dlms::is_ciphered_tag((*f)->apdu[0])) return frame;
    ByteReader in((*f)->apdu);
    auto c = dlms::decode_ciphered(in);
    if (!c.ok()) return frame;
    Bytes sealed = dlms::security_header(c->security_control, c->invocation_counter);
    sealed.insert(sealed.end(), c->payload.begin(), c->payload.end());
    auto opened = dlms::security::open(title_, keys_, sealed);
    if (!opened.ok()) return frame;
    last_ic_ = c->invocation_counter;
    sc_ = c->security_control;
    auto apdu = dlms::decode_apdu(opened->plaintext);
    const auto* got = apdu.ok() ? dlms::apdu_get<dlms::GetResponseWithDataBlock>(*apdu) : nullptr;
    const Bytes* raw = got ? std::get_if<Bytes>(&got->raw) : nullptr;
    if (raw == nullptr) return frame;
    dlms::GetResponseWithDataBlock block = *got;
    auto* b = &block;
    if (b->block_number == 1) {
      ByteReader h(*raw);
      (void)h.u8();
      (void)dlms::axdr::decode_length(h);
      header_.assign(raw->begin(), raw->begin() + static_cast<std::ptrdiff_t>(h.position()));
    }
    if (!b->last_block) return frame;
    b->last_block = false;
    extra_ = dlms::GetResponseWithDataBlock{b->invoke, true, b->block_number + 1, header_};
    ++blocks_added_;
    return rewrap(**f, dlms::encode(dlms::Apdu(dlms::GetResponse(block))), c->invocation_counter,
                  c->tag);
  }

  // The session's request for the extra block, answered here; nullopt: the meter answers.
  std::optional<Bytes> answer(const Bytes& request) {
    if (!extra_) return std::nullopt;
    dlms::WrapperDecoder d;
    d.feed(request);
    auto f = d.next();
    if (!f.ok() || !*f) return std::nullopt;
    dlms::WrapperFrame reply{(*f)->destination, (*f)->source, {}};
    const dlms::Apdu a{dlms::GetResponse(*std::exchange(extra_, std::nullopt))};
    return rewrap(reply, dlms::encode(a), ++last_ic_, dlms::tag::kGloGetResponse);
  }

  int blocks_added() const { return blocks_added_; }

 private:
  Bytes rewrap(const dlms::WrapperFrame& f, const Bytes& plain, std::uint32_t ic,
               std::uint8_t tag) {
    dlms::CipheredApdu c;
    c.tag = tag;
    c.security_control = sc_;
    c.invocation_counter = ic;
    c.payload = *dlms::security::protect(sc_, title_, ic, keys_, plain);
    return dlms::wrap(f.source, f.destination, dlms::encode_ciphered(c));
  }

  dlms::security::SystemTitle title_;
  dlms::security::SecurityKeys keys_;
  Bytes header_;
  std::optional<dlms::GetResponseWithDataBlock> extra_;
  std::uint32_t last_ic_ = 0;
  std::uint8_t sc_ = 0;
  int blocks_added_ = 0;
};

// converse() through the firmware above.
Status converse_quirky(MeterSession& s, fleet::Fleet& f, std::uint32_t m, const Bytes& frame,
                       RepeatedHeaderFirmware& fw) {
  auto meter = f.make_session(m);
  auto out = s.on_bytes(frame);
  while (out.ok() && !out->empty()) {
    Bytes reply;
    if (auto own = fw.answer(*out)) {
      reply = std::move(*own);
    } else {
      auto r = meter->on_bytes(*out);
      (void)f.after_session(m);
      if (!r.ok()) return r.error();
      reply = fw.from_meter(*r);
    }
    out = s.on_bytes(reply);
  }
  if (!out.ok()) return out.error();
  return ok_status();
}

constexpr std::uint32_t kConsumer = 3;  // feeders' and DTs' meters come first; 3 is a DT's

std::uint32_t first_consumer(const fleet::Fleet& f) {
  for (std::uint32_t i = 0; i < f.topology().meters.size(); ++i) {
    if (!f.topology().meters[i].consumer_id.empty()) return i;
  }
  return kConsumer;
}

TEST(MeterSession, AcceptsAuthenticatedPushesAndDecodesTheirRows) {
  Harness h;
  h.register_all();
  h.run(Millis(3'600'000 + 600'000));
  const std::uint32_t m = first_consumer(h.fleet);
  const auto pushes = h.block_pushes(m);
  ASSERT_GE(pushes.size(), 4u);
  MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
  std::unique_ptr<fleet::Fleet::Session> meter;
  for (const auto& p : pushes) ASSERT_TRUE(converse(s, h.fleet, m, p, meter).ok());
  EXPECT_TRUE(h.host.rejections.empty());
  ASSERT_EQ(h.host.pushes.size(), pushes.size());
  EXPECT_EQ(h.host.attached_count, 1);
  // Each pushed row equals the meter's own block-load row for that interval.
  for (const auto& p : h.host.pushes) {
    ASSERT_EQ(p.kind, PushContent::Kind::kBlockLoad);
    ASSERT_EQ(p.rows.size(), 1u);
    const auto rows = h.fleet.meter(m).block_load(p.rows[0].start, p.rows[0].start, 1);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(p.rows[0].import_wh, rows[0].import_wh);
    EXPECT_EQ(p.rows[0].import_vah, rows[0].import_vah);
  }
  // Invocation counters only grow.
  for (std::size_t i = 1; i < h.host.ics.size(); ++i) EXPECT_GT(h.host.ics[i], h.host.ics[i - 1]);
  s.on_closed();
  EXPECT_EQ(h.host.detached_count, 1);
}

TEST(MeterSession, UnknownMeterIsRejectedWithAnAuditRecord) {
  Harness h;  // nothing registered
  h.run(Millis(1'200'000));
  const auto pushes = h.block_pushes(first_consumer(h.fleet));
  ASSERT_FALSE(pushes.empty());
  MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
  auto r = s.on_bytes(pushes[0]);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(s.wants_close());
  ASSERT_EQ(h.host.rejections.size(), 1u);
  EXPECT_EQ(h.host.rejections[0].first, "reject-unknown-meter");
  EXPECT_TRUE(h.host.pushes.empty());
}

TEST(MeterSession, WrongKeyIsRejectedAsAuthenticationFailure) {
  Harness h;
  h.register_all();
  const std::uint32_t m = first_consumer(h.fleet);
  auto& ctx = h.host.registry[h.fleet.topology().meters[m].identity.system_title];
  ctx.secrets.ak[0] ^= 0x01;
  h.run(Millis(1'200'000));
  const auto pushes = h.block_pushes(m);
  ASSERT_FALSE(pushes.empty());
  MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
  EXPECT_FALSE(s.on_bytes(pushes[0]).ok());
  ASSERT_EQ(h.host.rejections.size(), 1u);
  EXPECT_EQ(h.host.rejections[0].first, "reject-auth");
  EXPECT_TRUE(h.host.pushes.empty());
}

TEST(MeterSession, ReplayedPushIsRejectedEvenInANewSession) {
  Harness h;
  h.register_all();
  const std::uint32_t m = first_consumer(h.fleet);
  h.run(Millis(1'200'000));
  const auto pushes = h.block_pushes(m);
  ASSERT_FALSE(pushes.empty());
  {
    MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
    ASSERT_TRUE(s.on_bytes(pushes[0]).ok());
  }
  MeterSession again(h.host, h.clock, {}, 2, "127.10.0.4");
  EXPECT_FALSE(again.on_bytes(pushes[0]).ok());
  ASSERT_EQ(h.host.rejections.size(), 1u);
  EXPECT_EQ(h.host.rejections[0].first, "reject-replay");
  EXPECT_EQ(h.host.pushes.size(), 1u);
}

TEST(MeterSession, MalformedFramesAreRejected) {
  Harness h;
  h.register_all();
  {
    MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
    // A wrapper header with a wrong version.
    const Bytes junk{0x00, 0x02, 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0xDB, 0x08};
    EXPECT_FALSE(s.on_bytes(junk).ok());
  }
  {
    MeterSession s(h.host, h.clock, {}, 2, "127.10.0.4");
    // A plain (unauthenticated) Data-Notification.
    const Bytes plain{0x0F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
    EXPECT_FALSE(s.on_bytes(dlms::wrap(1, 64, plain)).ok());
  }
  {
    MeterSession s(h.host, h.clock, {}, 3, "127.10.0.4");
    // A general-glo-ciphering header that stops short.
    const Bytes cut{0xDB, 0x08, 'V', 'D', 'Y'};
    EXPECT_FALSE(s.on_bytes(dlms::wrap(1, 64, cut)).ok());
  }
  ASSERT_EQ(h.host.rejections.size(), 3u);
  for (const auto& r : h.host.rejections) EXPECT_EQ(r.first, "reject-malformed");
}

TEST(MeterSession, GapFillReadsTheMissingRangeFromTheMetersMemory) {
  Harness h;
  h.register_all();
  const std::uint32_t m = first_consumer(h.fleet);
  h.run(Millis(4 * 3'600'000));
  const auto pushes = h.block_pushes(m);
  ASSERT_GE(pushes.size(), 15u);
  // The head end saw only the last push; it asks for the 3 hours before it.
  const auto last = h.fleet.meter(m).block_load(kStart, h.clock.now());
  ASSERT_GE(last.size(), 15u);
  Task t;
  t.kind = Task::Kind::kRangeRead;
  t.to = last.back().stamp;
  t.from = t.to - Millis(3 * 3'600'000);
  h.host.next_plan = {t};
  MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
  std::unique_ptr<fleet::Fleet::Session> meter;
  ASSERT_TRUE(converse(s, h.fleet, m, pushes.back(), meter).ok());
  ASSERT_TRUE(h.host.read_errors.empty()) << h.host.read_errors[0].describe();
  ASSERT_EQ(h.host.reads.size(), 1u);
  const auto& got = h.host.reads[0];
  ASSERT_EQ(got.size(), 12u);
  const auto want = h.fleet.meter(m).block_load(t.from, t.to - Millis(1));
  ASSERT_EQ(want.size(), 12u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].start, want[i].stamp);
    EXPECT_EQ(got[i].import_wh, want[i].import_wh);
  }
}

TEST(MeterSession, DisconnectOpensTheRelayAndARepeatIsStillASuccess) {
  Harness h;
  h.register_all();
  const std::uint32_t m = first_consumer(h.fleet);
  h.run(Millis(3'600'000));
  const auto pushes = h.block_pushes(m);
  ASSERT_GE(pushes.size(), 2u);
  ASSERT_TRUE(h.fleet.meter(m).relay_connected());
  Task t;
  t.kind = Task::Kind::kCommand;
  t.command.id = 1;
  t.command.kind = store::CommandKind::kDisconnect;
  h.host.next_plan = {t, t};  // duplicated: the relay must still end open
  MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
  std::unique_ptr<fleet::Fleet::Session> meter;
  ASSERT_TRUE(converse(s, h.fleet, m, pushes[0], meter).ok());
  ASSERT_EQ(h.host.outcomes.size(), 2u);
  EXPECT_TRUE(h.host.outcomes[0].ok) << h.host.outcomes[0].text;
  EXPECT_TRUE(h.host.outcomes[1].ok) << h.host.outcomes[1].text;
  EXPECT_FALSE(h.fleet.meter(m).relay_connected());
  // Reconnect on a later push: the association is still open on the same session.
  t.command.id = 2;
  t.command.kind = store::CommandKind::kConnect;
  h.host.next_plan = {t};
  const auto st = converse(s, h.fleet, m, pushes[1], meter);
  ASSERT_TRUE(st.ok()) << st.error().describe();
  ASSERT_EQ(h.host.outcomes.size(), 3u);
  EXPECT_TRUE(h.host.outcomes[2].ok) << h.host.outcomes[2].text;
  EXPECT_TRUE(h.fleet.meter(m).relay_connected());
}

TEST(MeterSession, SettingsCommandsReachTheMeter) {
  Harness h;
  h.register_all();
  const std::uint32_t m = first_consumer(h.fleet);
  h.run(Millis(1'200'000));
  const auto pushes = h.block_pushes(m);
  ASSERT_FALSE(pushes.empty());
  Task limit;
  limit.kind = Task::Kind::kCommand;
  limit.command.kind = store::CommandKind::kLoadLimit;
  limit.command.argument = "2500";
  Task mode = limit;
  mode.command.kind = store::CommandKind::kPaymentMode;
  mode.command.argument = "postpaid";
  Task bad = limit;
  bad.command.argument = "lots";
  Task ping = limit;
  ping.command.kind = store::CommandKind::kPing;
  h.host.next_plan = {limit, mode, bad, ping};
  MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
  std::unique_ptr<fleet::Fleet::Session> meter;
  ASSERT_TRUE(converse(s, h.fleet, m, pushes[0], meter).ok());
  ASSERT_EQ(h.host.outcomes.size(), 4u);
  EXPECT_TRUE(h.host.outcomes[0].ok) << h.host.outcomes[0].text;
  EXPECT_EQ(h.fleet.meter(m).limiter_threshold_w(), 2500u);
  EXPECT_TRUE(h.host.outcomes[1].ok) << h.host.outcomes[1].text;
  EXPECT_EQ(h.fleet.meter(m).prepaid().payment_mode, 0);
  EXPECT_FALSE(h.host.outcomes[2].ok);
  EXPECT_FALSE(h.host.outcomes[2].retryable);
  EXPECT_TRUE(h.host.outcomes[3].ok) << h.host.outcomes[3].text;
}

TEST(MeterSession, ReadTokensFetchesTheTokenLogAndOtherReadsAreUnchanged) {
  Harness h;
  h.register_all();
  const std::uint32_t m = first_consumer(h.fleet);
  const std::uint32_t dt = h.fleet.topology().dts[0].meter;
  h.run(Millis(1'200'000));
  const auto& rec = h.fleet.topology().meters[m];
  const auto key = token::derive_token_key(rec.secrets.ak, rec.identity.system_title);
  for (std::uint32_t seq : {5u, 3u}) {
    const auto t = token::encode_token(key, {seq, 100 * seq, token::ist_day(h.clock.now())});
    ASSERT_TRUE(h.fleet.enter_token(rec.identity.serial, t.value()).value().accepted);
    h.run(Millis(60'000));
  }
  const auto pushes = h.block_pushes(m);
  ASSERT_FALSE(pushes.empty());
  Task tokens;
  tokens.kind = Task::Kind::kCommand;
  tokens.command.kind = store::CommandKind::kRead;
  tokens.command.argument = "tokens";
  Task instant = tokens;
  instant.command.argument = "";
  h.host.next_plan = {tokens, instant};
  MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
  std::unique_ptr<fleet::Fleet::Session> meter;
  ASSERT_TRUE(converse(s, h.fleet, m, pushes.back(), meter).ok());
  ASSERT_EQ(h.host.outcomes.size(), 2u);
  const TaskOutcome& o = h.host.outcomes[0];
  EXPECT_TRUE(o.ok) << o.text;
  EXPECT_EQ(o.text, "token log: 2 rows");
  ASSERT_EQ(o.profile_rows.size(), 2u);
  EXPECT_EQ(o.profile_rows[0].profile, "tokens");
  EXPECT_EQ(o.profile_rows[0].meter_id, m + 1);
  EXPECT_EQ(o.profile_rows[0].code, 5);  // in the order typed in
  EXPECT_EQ(o.profile_rows[1].code, 3);
  EXPECT_EQ(o.profile_rows[0].captured, h.fleet.meter(m).token_log()[0].meter_time);
  EXPECT_TRUE(h.host.outcomes[1].ok);
  EXPECT_EQ(h.host.outcomes[1].text.rfind("instantaneous profile:", 0), 0u);
  EXPECT_TRUE(h.host.outcomes[1].profile_rows.empty());

  // A meter without a token log (a DT meter): the meter's refusal fails the command for good.
  const auto dt_pushes = h.block_pushes(dt);
  ASSERT_FALSE(dt_pushes.empty());
  h.host.next_plan = {tokens};
  MeterSession s2(h.host, h.clock, {}, 2, "127.10.0.5");
  std::unique_ptr<fleet::Fleet::Session> dt_meter;
  ASSERT_TRUE(converse(s2, h.fleet, dt, dt_pushes.back(), dt_meter).ok());
  ASSERT_EQ(h.host.outcomes.size(), 3u);
  EXPECT_FALSE(h.host.outcomes[2].ok);
  EXPECT_FALSE(h.host.outcomes[2].retryable);
  EXPECT_TRUE(h.host.outcomes[2].profile_rows.empty());
}

TEST(MeterSession, AMeterThatStopsAnsweringFailsTheCommandAsRetryable) {
  Harness h;
  h.register_all();
  const std::uint32_t m = first_consumer(h.fleet);
  h.run(Millis(1'200'000));
  const auto pushes = h.block_pushes(m);
  ASSERT_FALSE(pushes.empty());
  Task ping;
  ping.kind = Task::Kind::kCommand;
  ping.command.kind = store::CommandKind::kPing;
  h.host.next_plan = {ping};
  ManualClock timer(kStart);
  SessionOptions o;
  o.timer_clock = &timer;
  o.request_timeout = Millis(5'000);
  MeterSession s(h.host, h.clock, o, 1, "127.10.0.4");
  auto aarq = s.on_bytes(pushes[0]);
  ASSERT_TRUE(aarq.ok());
  ASSERT_FALSE(aarq->empty());  // it asked; the meter never answers
  ASSERT_TRUE(s.wake_after().has_value());
  EXPECT_EQ(*s.wake_after(), Millis(5'000));
  timer.advance(Millis(5'000));
  ASSERT_TRUE(s.on_wake().ok());
  ASSERT_EQ(h.host.outcomes.size(), 1u);
  EXPECT_FALSE(h.host.outcomes[0].ok);
  EXPECT_TRUE(h.host.outcomes[0].retryable);
  EXPECT_TRUE(s.wants_close());
}

TEST(MeterSession, ASlowSenderIsCutOffWhenAFrameTakesTooLong) {
  Harness h;
  h.register_all();
  h.run(Millis(1'200'000));
  const auto pushes = h.block_pushes(first_consumer(h.fleet));
  ASSERT_FALSE(pushes.empty());
  ManualClock timer(kStart);
  SessionOptions o;
  o.timer_clock = &timer;
  o.frame_timeout = Millis(20'000);
  MeterSession s(h.host, h.clock, o, 1, "127.10.0.4");
  // Half a frame, then nothing: the session asks to be woken when the frame is overdue.
  const Bytes half(pushes[0].begin(), pushes[0].begin() + 20);
  ASSERT_TRUE(s.on_bytes(half).ok());
  ASSERT_TRUE(s.wake_after().has_value());
  EXPECT_EQ(*s.wake_after(), Millis(20'000));
  timer.advance(Millis(19'000));
  EXPECT_TRUE(s.on_wake().ok());  // not yet
  EXPECT_FALSE(s.wants_close());
  timer.advance(Millis(1'000));
  EXPECT_FALSE(s.on_wake().ok());
  EXPECT_TRUE(s.wants_close());
  ASSERT_EQ(h.host.rejections.size(), 1u);
  EXPECT_EQ(h.host.rejections[0].first, "reject-slow");
  // A whole frame in one go leaves no deadline behind.
  MeterSession quick(h.host, h.clock, o, 2, "127.10.0.4");
  ASSERT_TRUE(quick.on_bytes(pushes[0]).ok());
  EXPECT_FALSE(quick.wake_after().has_value());
}

std::size_t profile_index(std::string_view name) {
  const auto& specs = scheduled_profiles();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return i;
  }
  return specs.size();
}

TEST(MeterSession, ScheduledReadsFetchTheDailyProfileAndEventLogs) {
  Harness h;
  h.register_all();
  const std::uint32_t m = first_consumer(h.fleet);
  const auto& serial = h.fleet.topology().meters[m].identity.serial;
  ASSERT_TRUE(h.fleet.control("tamper " + serial + " magnet 30").ok());
  h.run(Millis(26 * 3'600'000));  // past a midnight, the tamper started and ended
  const auto pushes = h.block_pushes(m);
  ASSERT_FALSE(pushes.empty());
  Task daily;
  daily.kind = Task::Kind::kProfileRead;
  daily.profile = profile_index("daily");
  daily.from = kStart;
  daily.to = h.clock.now();
  Task events = daily;
  events.profile = profile_index("event-other");
  h.host.next_plan = {daily, events};
  MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
  std::unique_ptr<fleet::Fleet::Session> meter;
  ASSERT_TRUE(converse(s, h.fleet, m, pushes.back(), meter).ok());
  ASSERT_EQ(h.host.profile_reads.size(), 2u);
  for (const auto& [p, rows] : h.host.profile_reads)
    ASSERT_TRUE(rows.ok()) << rows.error().describe();
  const auto& specs = scheduled_profiles();
  auto d = profile_rows_of(7, specs[daily.profile], *h.host.profile_reads[0].second);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_EQ(d->size(), 1u);  // one midnight in the range
  EXPECT_EQ(d->front().profile, "daily");
  EXPECT_EQ(ist_midnight(d->front().captured), d->front().captured);
  auto e = profile_rows_of(7, specs[events.profile], *h.host.profile_reads[1].second);
  ASSERT_TRUE(e.ok()) << e.error().describe();
  std::set<std::int32_t> codes;
  for (const auto& r : *e) codes.insert(r.code);
  EXPECT_TRUE(codes.count(201)) << "magnet tamper occurrence";
  EXPECT_TRUE(codes.count(202)) << "magnet tamper restoration";
}

// A meter whose firmware repeats the array header in an empty last block: its gap-fill read is
// refused by default, and accepted (and counted) when its manufacturer's quirk is configured.
TEST(MeterSession, AQuirkyLastBlockIsRefusedUnlessTheMetersQuirkIsConfiguredAndThenCounted) {
  for (const bool with_quirk : {false, true}) {
    SCOPED_TRACE(with_quirk ? "with the quirk" : "strict");
    Harness h;
    h.register_all();
    const std::uint32_t m = first_consumer(h.fleet);
    const auto& record = h.fleet.topology().meters[m];
    if (with_quirk) {
      h.host.registry[record.identity.system_title].quirks.add(
          dlms::Quirk::kRepeatedHeaderInEmptyLastBlock);
    }
    h.run(Millis(26 * 3'600'000));
    const auto pushes = h.block_pushes(m);
    ASSERT_FALSE(pushes.empty());
    const auto last = h.fleet.meter(m).block_load(kStart, h.clock.now());
    Task t;
    t.kind = Task::Kind::kRangeRead;
    t.to = last.back().stamp;
    t.from = t.to - Millis(24 * 3'600'000);  // 96 rows: more than one block
    h.host.next_plan = {t};
    MeterSession s(h.host, h.clock, {}, 1, "127.10.0.4");
    RepeatedHeaderFirmware fw(record);
    (void)converse_quirky(s, h.fleet, m, pushes.back(), fw);
    ASSERT_EQ(fw.blocks_added(), 1) << "the read came in blocks";
    if (!with_quirk) {
      EXPECT_TRUE(h.host.reads.empty());
      ASSERT_EQ(h.host.read_errors.size(), 1u);
      EXPECT_EQ(h.host.read_errors[0].code, Errc::kMalformed) << h.host.read_errors[0].describe();
      EXPECT_TRUE(h.host.deviations.empty());
    } else {
      ASSERT_TRUE(h.host.read_errors.empty()) << h.host.read_errors[0].describe();
      ASSERT_EQ(h.host.reads.size(), 1u);
      EXPECT_EQ(h.host.reads[0].size(), 96u);
      ASSERT_EQ(h.host.deviations.size(), 1u);
      EXPECT_EQ(h.host.deviations[0], dlms::Quirk::kRepeatedHeaderInEmptyLastBlock);
    }
  }
}

}  // namespace
}  // namespace vidyut::headend
