// The head end on real sockets with the fleet simulator pushing to it and an embedded store:
// a network cut is filled from the meters' memory, relay commands reach the meters, and bad
// peers are rejected with an audit record while the rest of the fleet keeps reporting.
#include "headend/head_end.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "dlms/apdu/wrapper.h"
#include "fleet/fleet.h"
#include "meter/load_model.h"
#include "simulator/simulator.h"
#include "store/sqlite_store.h"
#include "testing/registry.h"
#include "token/token.h"

namespace vidyut::headend {
namespace {

namespace fs = std::filesystem;

// 2026-09-21 00:00 IST, on a 15-minute boundary.
const UtcTime kStart = UtcTime(Millis(1'789'929'000'000));

fleet::Topology small_fleet(double static_ip_share = 0) {
  fleet::FleetSpec s;
  s.seed = 5;
  s.consumers = 40;
  s.consumers_per_dt = 20;
  s.dts_per_feeder = 2;
  s.static_ip_share = static_ip_share;
  return fleet::generate(s);
}

struct RigOptions {
  double static_ip_share = 0;
  Millis linger{10'000};
};

fleet::FleetConfig quiet() {
  fleet::FleetConfig c;
  c.rates = fleet::EventRates::none();
  c.limiter_trips = false;
  return c;
}

template <class Cond>
bool eventually(Cond cond, int tenths = 100) {
  for (int i = 0; i < tenths * 10; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

// Fleet + simulator + head end + store, on a manual clock moved in steps.
struct Rig {
  explicit Rig(const std::string& name, HeadEndOptions ho = {},
               std::function<void(std::vector<std::pair<store::MeterInfo, store::MeterSecrets>>&)>
                   edit_registry = {},
               RigOptions ro = {})
      : fleet(small_fleet(ro.static_ip_share), quiet(), clock) {
    dir =
        (fs::path(::testing::TempDir()) / ("vidyut-he-" + name + "-" + std::to_string(::getpid())))
            .string();
    fs::remove_all(dir);
    store::SqliteOptions so;
    so.master_key = std::array<std::uint8_t, 32>{};
    so.master_key->fill(0x5A);
    auto s = store::open_sqlite_store(dir, clock, so);
    EXPECT_TRUE(s.ok()) << s.error().describe();
    db = std::move(*s);
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
    for (const auto& r : fleet.topology().meters) rows.push_back(testing::to_registry(r));
    if (edit_registry) edit_registry(rows);
    EXPECT_TRUE(db->upsert_meters(rows).ok());
    ho.bind_address = "127.0.0.1";
    ho.port = 0;
    ho.gap_floor = kStart;
    ho.retry_base_s = 60;
    he = std::make_unique<HeadEnd>(*db, clock, ho);
    auto st = he->start();
    EXPECT_TRUE(st.ok()) << st.error().describe();
    simulator::SimulatorOptions so2;
    so2.head_end_host = "127.0.0.1";
    so2.head_end_port = he->port();
    so2.linger = ro.linger;
    so2.inbound = ro.static_ip_share > 0;
    so2.inbound_port = 0;
    sim = std::make_unique<simulator::Simulator>(fleet, clock, so2);
    EXPECT_TRUE(sim->start().ok());
    if (so2.inbound) he->set_dial_port(sim->inbound_port());
  }
  ~Rig() {
    sim->stop();
    he->stop();
    fs::remove_all(dir);
  }
  // Advances simulated time, letting the simulator and the head end catch up after each step.
  void step(Millis total, Millis by = Millis(60'000)) {
    for (Millis d{0}; d < total; d += by) {
      clock.advance(by);
      eventually([&] {
        return sim->with_fleet([&](fleet::Fleet& f) { return f.next_event_time() > clock.now(); });
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
  }
  std::int64_t id_of(std::uint32_t m) {
    auto r = db->meter_by_serial(fleet.topology().meters[m].identity.serial);
    return r.ok() && *r ? (*r)->id : 0;
  }
  std::vector<std::string> audit_actions() {
    std::vector<std::string> v;
    auto a = db->audit_after(0, store::kMaxPage);
    if (a.ok()) {
      for (const auto& r : *a) v.push_back(r.action);
    }
    return v;
  }

  ManualClock clock{kStart};
  fleet::Fleet fleet;
  std::string dir;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<HeadEnd> he;
  std::unique_ptr<simulator::Simulator> sim;
};

// Every interval the meter holds in [from, to) is stored with the same energy.
void expect_all_intervals(Rig& rig, UtcTime from, UtcTime to, std::size_t* checked = nullptr) {
  for (std::uint32_t m = 0; m < rig.fleet.topology().meters.size(); ++m) {
    const auto want = rig.sim->with_fleet(
        [&](fleet::Fleet& f) { return f.meter(m).block_load(from, to - Millis(1)); });
    auto got = rig.db->intervals(rig.id_of(m), from, to);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), want.size())
        << "meter " << rig.fleet.topology().meters[m].identity.serial;
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ((*got)[i].start, want[i].stamp);
      EXPECT_EQ((*got)[i].import_wh, want[i].import_wh);
    }
    if (checked) *checked += want.size();
  }
}

TEST(HeadEnd, ANetworkCutIsFilledFromTheMetersMemoryAfterRestoration) {
  HeadEndOptions ho;
  ho.gap_window_s = 86'400;
  Rig rig("cut", ho);
  // 10 % of the meters lose both SIM paths for two hours, from minute 60.
  std::set<std::uint32_t> cut;
  std::string scenario;
  for (std::uint32_t m = 0; m < rig.fleet.topology().meters.size(); m += 10) {
    cut.insert(m);
    const auto& serial = rig.fleet.topology().meters[m].identity.serial;
    scenario += "+60 cut-sim " + serial + " 1 120\n+60 cut-sim " + serial + " 2 120\n";
  }
  ASSERT_TRUE(rig.sim->with_fleet([&](fleet::Fleet& f) { return f.load_scenario(scenario); }).ok());
  rig.step(Millis(150 * 60'000));
  // Mid-cut: the cut meters' recent intervals are missing.
  rig.he->flush();
  const std::uint32_t some_cut = *cut.begin();
  auto mid = rig.db->intervals(rig.id_of(some_cut), kStart + Millis(70 * 60'000),
                               kStart + Millis(140 * 60'000));
  ASSERT_TRUE(mid.ok());
  EXPECT_TRUE(mid->empty());
  rig.step(Millis(90 * 60'000));  // restored at minute 180; two more pushes each
  rig.he->flush();
  std::size_t checked = 0;
  expect_all_intervals(rig, kStart, kStart + Millis(225 * 60'000), &checked);
  EXPECT_GE(checked, rig.fleet.topology().meters.size() * 14);
  const auto s = rig.he->stats();
  EXPECT_GE(s.gap_reads, cut.size());
  EXPECT_GE(s.gap_rows, cut.size() * 7);
  EXPECT_EQ(s.rejected_auth + s.rejected_replay + s.rejected_unknown + s.rejected_malformed, 0u);
  // Communication health: yesterday's... today's completeness counted from the store.
  auto h = rig.he->health(kStart + Millis(3'600'000));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->all.meters, rig.fleet.topology().meters.size());
  EXPECT_EQ(h->meters_never_seen, 0u);
  // Scheduled reads: each meter's daily profile row of the starting midnight is read, and all
  // nine scheduled profiles of every meter (they are spread over the meters' sessions, a few
  // at a time, so a slow machine may need a few more push cycles).
  const std::size_t meters = rig.fleet.topology().meters.size();
  std::uint64_t daily_rows = 0;
  for (int i = 0; i < 16; ++i) {
    rig.he->flush();
    auto daily = rig.db->count_profile_rows("daily", kStart, kStart + Millis(86'400'000));
    ASSERT_TRUE(daily.ok());
    daily_rows = *daily;
    if (daily_rows == meters && rig.he->stats().profile_reads >= meters * 9) break;
    rig.step(Millis(15 * 60'000));
  }
  EXPECT_EQ(daily_rows, meters);
  EXPECT_GE(rig.he->stats().profile_reads, meters * 9);
}

TEST(HeadEnd, DisconnectReachesEveryMeterAndLeavesItsRelayOpen) {
  Rig rig("relay");
  rig.step(Millis(20 * 60'000));
  std::vector<std::uint32_t> targets;
  for (std::uint32_t m = 0; m < rig.fleet.topology().meters.size(); ++m) {
    if (!rig.fleet.topology().meters[m].consumer_id.empty() && targets.size() < 10) {
      targets.push_back(m);
    }
  }
  ASSERT_EQ(targets.size(), 10u);
  for (auto m : targets) {
    store::Command c;
    c.meter_id = rig.id_of(m);
    c.kind = store::CommandKind::kDisconnect;
    c.idempotency_key = "t-" + std::to_string(m);
    c.requested_by = "test";
    c.reason = "defaulter";
    auto r = rig.he->submit(c);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    // A duplicated request is the same command.
    auto again = rig.he->submit(c);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->id, r->id);
  }
  rig.step(Millis(30 * 60'000));
  ASSERT_TRUE(eventually([&] { return rig.he->stats().commands_succeeded >= targets.size(); }));
  for (auto m : targets) {
    EXPECT_FALSE(
        rig.sim->with_fleet([&](fleet::Fleet& f) { return f.meter(m).relay_connected(); }));
  }
  rig.he->flush();
  auto cs = rig.db->commands_after(0, 100);
  ASSERT_TRUE(cs.ok());
  ASSERT_EQ(cs->size(), targets.size());
  for (const auto& c : *cs) {
    EXPECT_EQ(c.state, store::CommandState::kSucceeded) << c.result;
    EXPECT_EQ(c.attempts, 1u);
  }
  // Relay alerts (ESW bit 84) from the meters that switched.
  auto alerts = rig.db->alerts_after(0, 1000);
  ASSERT_TRUE(alerts.ok());
  std::size_t relay_alerts = 0;
  std::string seen;
  for (const auto& a : *alerts) {
    relay_alerts += a.kind == "relay";
    seen += a.kind + "/" + a.name + " meter " + std::to_string(a.meter_id) + " at " +
            format_iso8601(a.at) + "; ";
  }
  EXPECT_EQ(relay_alerts, targets.size()) << seen;
  EXPECT_EQ(rig.he->command_latencies_ms().size(), targets.size());
}

TEST(HeadEnd, ACommandForAMeterWithoutASessionDialsItsStaticAddress) {
  RigOptions ro;
  ro.static_ip_share = 1.0;
  ro.linger = Millis(100);  // sessions close right after each push
  Rig rig("dial", {}, {}, ro);
  rig.step(Millis(20 * 60'000));
  // Let the push sessions close.
  ASSERT_TRUE(eventually([&] { return rig.he->stats().meters_connected == 0; }));
  std::vector<std::uint32_t> targets;
  for (std::uint32_t m = 0; m < rig.fleet.topology().meters.size() && targets.size() < 5; ++m) {
    if (!rig.fleet.topology().meters[m].consumer_id.empty()) targets.push_back(m);
  }
  for (auto m : targets) {
    store::Command c;
    c.meter_id = rig.id_of(m);
    c.kind = store::CommandKind::kDisconnect;
    c.idempotency_key = "dial-" + std::to_string(m);
    ASSERT_TRUE(rig.he->submit(c).ok());
  }
  // No simulated time passes: no meter pushes, so only a dial-out can deliver the commands.
  ASSERT_TRUE(eventually([&] { return rig.he->stats().commands_succeeded >= targets.size(); }));
  for (auto m : targets) {
    EXPECT_FALSE(
        rig.sim->with_fleet([&](fleet::Fleet& f) { return f.meter(m).relay_connected(); }));
  }
  EXPECT_GE(rig.he->stats().dials, targets.size());
  EXPECT_EQ(rig.he->stats().dial_failures, 0u);
}

TEST(HeadEnd, ATokenTypedInOfflineIsReadFromTheMetersTokenLogAndStoredOnce) {
  Rig rig("tokens");
  rig.step(Millis(20 * 60'000));
  std::uint32_t m = 0;
  while (rig.fleet.topology().meters[m].consumer_id.empty()) ++m;
  const fleet::MeterRecord& rec = rig.fleet.topology().meters[m];
  const std::string serial = rec.identity.serial;
  // The meter goes offline (both SIM paths cut) with its relay open.
  rig.sim->with_fleet([&](fleet::Fleet& f) {
    EXPECT_TRUE(f.control("cut-sim " + serial + " 1").ok());
    EXPECT_TRUE(f.control("cut-sim " + serial + " 2").ok());
    EXPECT_TRUE(f.meter(m).disconnect());
    return f.after_session(m).size();
  });
  rig.step(Millis(30 * 60'000));
  // The consumer types a token in through the hotspot.
  const UtcTime typed = rig.clock.now();
  const auto key = token::derive_token_key(rec.secrets.ak, rec.identity.system_title);
  const std::string digits = token::encode_token(key, {21, 300, token::ist_day(typed)}).value();
  auto entered = rig.sim->with_fleet(
      [&](fleet::Fleet& f) { return f.enter_token(serial, token::format_token(digits)); });
  ASSERT_TRUE(entered.ok()) << entered.error().describe();
  ASSERT_TRUE(entered->accepted) << entered->detail;
  EXPECT_TRUE(entered->relay_closed);
  // The network comes back; the head end is asked to read the token log.
  rig.sim->with_fleet([&](fleet::Fleet& f) {
    EXPECT_TRUE(f.control("restore-sim " + serial + " 1").ok());
    return f.control("restore-sim " + serial + " 2").ok();
  });
  rig.step(Millis(20 * 60'000));
  auto read_tokens = [&](const std::string& key_text) {
    store::Command c;
    c.meter_id = rig.id_of(m);
    c.kind = store::CommandKind::kRead;
    c.argument = "tokens";
    c.idempotency_key = key_text;
    c.requested_by = "test";
    c.reason = "reconcile offline recharges";
    auto r = rig.he->submit(c);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? r->id : 0;
  };
  auto finished = [&](std::int64_t id) {
    rig.he->flush();
    auto c = rig.db->command(id);
    return c.ok() && *c && (*c)->state != store::CommandState::kPending;
  };
  const std::int64_t first = read_tokens("tokens-1");
  for (int i = 0; i < 20 && !finished(first); ++i) rig.step(Millis(5 * 60'000));
  ASSERT_TRUE(eventually([&] { return finished(first); }));
  auto c1 = rig.db->command(first);
  ASSERT_TRUE(c1.ok() && *c1);
  EXPECT_EQ((*c1)->state, store::CommandState::kSucceeded) << (*c1)->result;
  EXPECT_EQ((*c1)->result, "token log: 1 row");

  const UtcTime logged =
      rig.sim->with_fleet([&](fleet::Fleet& f) { return f.meter(m).token_log().at(0).meter_time; });
  auto rows = rig.db->profile_rows(rig.id_of(m), "tokens", kStart, rig.clock.now());
  ASSERT_TRUE(rows.ok()) << rows.error().describe();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].captured, logged);
  EXPECT_EQ((*rows)[0].code, 21);
  auto row = dlms::axdr::decode_all((*rows)[0].data);
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->as_list()->size(), 3u);
  EXPECT_EQ(*row->at(1), dlms::Data::long_unsigned(21));
  EXPECT_EQ(*row->at(2), dlms::Data::double_long_unsigned(300));

  // Read again: the same row is not stored twice.
  const std::int64_t second = read_tokens("tokens-2");
  ASSERT_NE(second, first);
  for (int i = 0; i < 20 && !finished(second); ++i) rig.step(Millis(5 * 60'000));
  ASSERT_TRUE(eventually([&] { return finished(second); }));
  auto c2 = rig.db->command(second);
  ASSERT_TRUE(c2.ok() && *c2);
  EXPECT_EQ((*c2)->state, store::CommandState::kSucceeded) << (*c2)->result;
  rows = rig.db->profile_rows(rig.id_of(m), "tokens", kStart, rig.clock.now());
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
  auto all = rig.db->count_profile_rows("tokens", kStart, rig.clock.now());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 1u);
}

// A connection to the head end on loopback, from `source` (one of the 127/8 addresses).
int connect_from(const char* source, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &src.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_to(std::uint16_t port) { return connect_from("127.0.0.1", port); }

// Sends bytes and waits until the head end closes the connection (or 5 s pass).
bool closed_after(std::uint16_t port, const Bytes& b) {
  const int fd = connect_to(port);
  if (fd < 0) return false;
  (void)!::write(fd, b.data(), b.size());
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::array<std::uint8_t, 256> buf{};
  const auto n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  return n == 0;
}

TEST(HeadEnd, BadPeersAreRejectedWithAnAuditRecordWhileTheFleetKeepsReporting) {
  const fleet::Topology t = small_fleet();
  // Meter 3 is registered with a wrong authentication key; meter 4 is not registered at all.
  const std::string wrong_key_serial = t.meters[3].identity.serial;
  const std::string unknown_serial = t.meters[4].identity.serial;
  HeadEndOptions ho;
  ho.max_new_sessions_per_second = 20;
  ho.new_session_burst = 80;
  Rig rig("reject", ho, [&](auto& rows) {
    rows[3].second.ak[5] ^= 0x40;
    rows.erase(rows.begin() + 4);
  });
  // An old frame from meter 5, captured by an eavesdropper: a second copy of the fleet at the
  // same start makes the same first push.
  ManualClock old_clock(kStart);
  fleet::Fleet copy(small_fleet(), quiet(), old_clock);
  Bytes captured;
  for (int i = 0; i < 20 && captured.empty(); ++i) {
    old_clock.advance(Millis(60'000));
    for (auto& o : copy.advance(old_clock.now())) {
      if (o.meter == 5 && captured.empty()) captured = o.frame;
    }
  }
  ASSERT_FALSE(captured.empty());
  rig.step(Millis(40 * 60'000));
  rig.he->flush();
  const auto before = rig.he->stats().intervals_committed;
  EXPECT_GT(before, 0u);

  EXPECT_TRUE(closed_after(rig.he->port(), captured));  // a replay
  EXPECT_TRUE(closed_after(rig.he->port(), Bytes{0x00, 0x01, 0x00, 0x01, 0x00, 0x40, 0xFF, 0xFF,
                                                 0x01, 0x02}));  // malformed
  // A flood of connection attempts: more than the burst in well under a second.
  std::vector<int> flood;
  for (int i = 0; i < 200; ++i) flood.push_back(connect_to(rig.he->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int fd : flood) {
    if (fd >= 0) ::close(fd);
  }
  rig.step(Millis(40 * 60'000));
  ASSERT_TRUE(eventually([&] {
    rig.he->flush();
    const auto a = rig.audit_actions();
    auto has = [&](const char* x) { return std::find(a.begin(), a.end(), x) != a.end(); };
    return has("reject-unknown-meter") && has("reject-auth") && has("reject-replay") &&
           has("reject-malformed") && has("refuse-connection");
  }));
  const auto s = rig.he->stats();
  EXPECT_GT(s.rejected_unknown, 0u);
  EXPECT_GT(s.rejected_auth, 0u);
  EXPECT_GT(s.rejected_replay, 0u);
  EXPECT_GT(s.rejected_malformed, 0u);
  EXPECT_GT(s.sessions_refused, 0u);
  // The rest of the fleet kept reporting.
  EXPECT_GT(s.intervals_committed, before + (t.meters.size() - 2) * 2);
  // Nothing was stored for the meter with the wrong key.
  auto wrong = rig.db->meter_by_serial(wrong_key_serial);
  ASSERT_TRUE(wrong.ok() && *wrong);
  auto rows = rig.db->intervals((*wrong)->id, kStart, rig.clock.now());
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
  auto unknown = rig.db->meter_by_serial(unknown_serial);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

// Issue 16: silent sockets held a session slot for 120 s with no per-address cap, and with the
// session limit reached the fleet's pushes were refused. Connections that have not identified
// themselves now have a budget of their own, a per-address cap and a short deadline.
TEST(HeadEnd, SilentConnectionsFromOneHostCannotCrowdOutTheFleet) {
  const fleet::Topology t = small_fleet();
  HeadEndOptions ho;
  ho.max_sessions = 100;
  ho.max_unidentified = 40;
  ho.max_unidentified_per_address = 16;
  ho.identify_timeout = Millis(1'000);
  Rig rig("silent", ho);
  rig.step(Millis(20 * 60'000));
  rig.he->flush();
  const auto before = rig.he->stats().intervals_committed;
  ASSERT_GT(before, 0u);
  // One host opens 200 connections and says nothing: more than the whole session limit.
  std::vector<int> silent;
  for (int i = 0; i < 200; ++i) {
    const int fd = connect_from("127.0.0.2", rig.he->port());
    if (fd >= 0) silent.push_back(fd);
  }
  ASSERT_GT(silent.size(), 100u);
  // The fleet keeps reporting meanwhile.
  rig.step(Millis(40 * 60'000));
  ASSERT_TRUE(eventually([&] {
    rig.he->flush();
    return rig.he->stats().intervals_committed >= before + t.meters.size() * 2;
  }));
  // Every silent connection is closed: over the host's allowance at once, the rest once the
  // identify deadline passes.
  std::size_t closed = 0;
  for (int fd : silent) {
    timeval tv{3, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::array<std::uint8_t, 64> buf{};
    if (::read(fd, buf.data(), buf.size()) == 0) ++closed;
    ::close(fd);
  }
  EXPECT_EQ(closed, silent.size());
  const auto s = rig.he->stats();
  EXPECT_GE(s.sessions_refused, silent.size() - 16);
  EXPECT_GT(s.sessions_unidentified_timeout, 0u);
  ASSERT_TRUE(eventually([&] {
    rig.he->flush();
    const auto a = rig.audit_actions();
    return std::count(a.begin(), a.end(), "refuse-connection") > 0 &&
           std::count(a.begin(), a.end(), "refuse-connection") < 10;  // in aggregate
  }));
}

}  // namespace
}  // namespace vidyut::headend
