// The CSV truth files: headers, one interval row per meter and period, energies that read back
// to the grid's invariants, episode, push, relay and failover rows for control commands, exact
// number formatting, and kIo when the directory cannot be made.
#include "fleet/truth_csv.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace vidyut::fleet {
namespace {

namespace fs = std::filesystem;
using meter::MeterKind;

const UtcTime kStart = UtcTime(Millis(1'790'000'000'000));  // 2026-09-21, a Monday
constexpr std::int64_t kPeriodMs = 900'000;

FleetSpec small_spec() {
  FleetSpec s;
  s.seed = 7;
  s.consumers = 60;
  s.consumers_per_dt = 15;
  s.dts_per_feeder = 2;
  return s;
}

FleetConfig quiet_config() {
  FleetConfig c;
  c.rates = EventRates::none();
  c.limiter_trips = false;
  return c;
}

void run(Fleet& f, ManualClock& clock, Millis total, Millis step = Millis(60'000)) {
  for (Millis done{0}; done < total; done += step) {
    clock.advance(step);
    (void)f.advance(clock.now());
  }
}

// A fresh directory per test under the test framework's temporary directory.
std::string temp_dir(const std::string& name) {
  const fs::path p = fs::path(::testing::TempDir()) / fmt::format("vidyut_truth_{}", name);
  std::error_code ec;
  fs::remove_all(p, ec);
  return p.string();
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The rows of a CSV file (no quoted fields in these tests), header first.
using Row = std::vector<std::string>;
std::vector<Row> read_csv(const std::string& path) {
  std::vector<Row> rows;
  for (const auto& line : read_lines(path)) {
    Row r;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, ',')) r.push_back(field);
    if (!line.empty() && line.back() == ',') r.emplace_back();
    rows.push_back(std::move(r));
  }
  return rows;
}

// "12.345" -> 12345; fails the test on anything but digits with exactly three decimals.
std::int64_t milli(const std::string& s) {
  const auto dot = s.find('.');
  EXPECT_NE(dot, std::string::npos) << s;
  EXPECT_EQ(s.size() - dot, 4u) << s;
  if (dot == std::string::npos || s.size() - dot != 4) return -1;
  std::int64_t whole = 0, frac = 0;
  auto r1 = std::from_chars(s.data(), s.data() + dot, whole);
  auto r2 = std::from_chars(s.data() + dot + 1, s.data() + s.size(), frac);
  EXPECT_TRUE(r1.ec == std::errc() && r1.ptr == s.data() + dot) << s;
  EXPECT_TRUE(r2.ec == std::errc() && r2.ptr == s.data() + s.size()) << s;
  return whole * 1000 + frac;
}

UtcTime time_of(const std::string& s) {
  auto t = parse_iso8601(s);
  EXPECT_TRUE(t.ok()) << s;
  return t.ok() ? *t : UtcTime{};
}

std::uint32_t first_of_kind(const Topology& t, MeterKind k) {
  for (std::uint32_t i = 0; i < t.meters.size(); ++i)
    if (t.meters[i].identity.kind == k) return i;
  return 0;
}

// Period boundaries passed in (from, to]: the fleet writes a truth batch at each.
std::int64_t boundaries(UtcTime from, UtcTime to) {
  const std::int64_t a = from.time_since_epoch().count(), b = to.time_since_epoch().count();
  return b / kPeriodMs - a / kPeriodMs;  // IST offset is a whole number of 15-minute periods
}

const std::string kIntervalsHeader =
    "serial,kind,interval_start,true_wh,recorded_wh,theft_wh,supplied_s,relay";
const std::string kEpisodesHeader = "id,kind,target,event,at,planned_end,watts,origin,share_ppm";
const std::string kPushesHeader = "serial,type,at,interval,fate,sim";
const std::string kRelayHeader = "serial,at,state,cause";
const std::string kFailoversHeader = "serial,at,to_sim";
const std::string kTokensHeader = "serial,at,result,sequence,amount_rupees,issued_day,relay";

TEST(CsvTruth, OutageAndTheftRowsAddUpToTheDtAndFeederRows) {
  const std::string dir = temp_dir("outage");
  const Topology topo = generate(small_spec());
  auto w = CsvTruthWriter::open(topo, dir);
  ASSERT_TRUE(w.ok()) << w.error().describe();
  ManualClock clock(kStart);
  Fleet f(topo, quiet_config(), clock, w->get());
  const Topology& t = f.topology();
  ASSERT_GE(t.dts.size(), 2u);
  const Dt& dead = t.dts[0];
  const std::uint32_t thief = t.dts[1].consumers[1];
  const std::string& thief_serial = t.meters[thief].identity.serial;
  const std::uint32_t watts = t.meters[thief].identity.sanctioned_load_w / 2;

  run(f, clock, Millis(10 * 60'000));
  const UtcTime cut = clock.now();
  ASSERT_TRUE(f.control("fail-dt " + dead.name + " 30").ok());
  ASSERT_TRUE(f.control("tamper " + thief_serial + " magnet 30").ok());
  run(f, clock, Millis(2 * 3'600'000));
  ASSERT_TRUE((*w)->flush().ok());

  // ---- intervals.csv
  const auto iv = read_csv(dir + "/intervals.csv");
  ASSERT_FALSE(iv.empty());
  EXPECT_EQ(fmt::format("{}", fmt::join(iv[0], ",")), kIntervalsHeader);
  const std::int64_t periods = boundaries(kStart, clock.now());
  ASSERT_EQ(periods, 9);
  EXPECT_EQ(static_cast<std::int64_t>(iv.size() - 1),
            static_cast<std::int64_t>(t.meters.size()) * periods);
  EXPECT_EQ((*w)->intervals_written(), iv.size() - 1);

  // interval start -> serial -> row
  std::map<std::string, std::map<std::string, Row>> by_time;
  for (std::size_t i = 1; i < iv.size(); ++i) {
    const Row& r = iv[i];
    ASSERT_EQ(r.size(), 8u) << i;
    const std::int64_t m = t.find_serial(r[0]);
    ASSERT_GE(m, 0) << r[0];
    EXPECT_EQ(r[1], meter::to_string(t.meters[static_cast<std::size_t>(m)].identity.kind));
    EXPECT_EQ(r[7], "closed");
    EXPECT_TRUE(by_time[r[2]].emplace(r[0], r).second) << "duplicate row " << r[0] << " " << r[2];
  }
  ASSERT_EQ(static_cast<std::int64_t>(by_time.size()), periods);

  const LossConfig& l = f.grid().losses();
  std::int64_t theft = 0;
  std::size_t dark_periods = 0;
  for (const auto& [start, rows] : by_time) {
    ASSERT_EQ(rows.size(), t.meters.size()) << start;
    std::map<std::uint32_t, std::int64_t> dt_energy;  // DT index -> its meter's row
    for (std::uint32_t d = 0; d < t.dts.size(); ++d) {
      const Dt& dt = t.dts[d];
      std::int64_t consumers = 0;
      for (std::uint32_t c : dt.consumers) {
        const Row& r = rows.at(t.meters[c].identity.serial);
        EXPECT_EQ(milli(r[3]), milli(r[4]) + milli(r[5])) << start;
        consumers += milli(r[3]);
      }
      const Row& dr = rows.at(t.meters[dt.meter].identity.serial);
      const std::int64_t dt_mwh = milli(dr[3]);
      EXPECT_EQ(dt_mwh, milli(dr[4]));
      EXPECT_EQ(milli(dr[5]), 0);
      dt_energy[d] = dt_mwh;
      const std::int64_t lt = consumers * l.lt_loss_ppm / 1'000'000;
      const std::int64_t no_load_max =
          std::int64_t{l.dt_no_load_w_per_kva} * dt.rating_kva * kPeriodMs / 3600 + 1;
      EXPECT_GE(dt_mwh - consumers, lt - 1) << dt.name << " " << start;
      EXPECT_LE(dt_mwh - consumers, lt + no_load_max + 1) << dt.name << " " << start;
      if (d == 0 && milli(dr[6]) == 0) {
        ++dark_periods;
        EXPECT_EQ(dt_mwh, 0) << start;
        EXPECT_EQ(consumers, 0) << start;
      }
    }
    for (const Feeder& fd : t.feeders) {
      std::int64_t dts = 0;
      for (std::uint32_t d : fd.dts) dts += dt_energy[d];
      const std::int64_t feeder = milli(rows.at(t.meters[fd.meter].identity.serial)[3]);
      const std::int64_t ht = dts * l.ht_loss_ppm / 1'000'000;
      EXPECT_GE(feeder - dts, ht - 1) << fd.name << " " << start;
      EXPECT_LE(feeder - dts, ht + 1) << fd.name << " " << start;
    }
    theft += milli(rows.at(thief_serial)[5]);
  }
  // 30 minutes from a whole minute: one whole period in the dark, two partly.
  EXPECT_EQ(dark_periods, 1u);
  // 30 minutes at `watts`: W x 1/2 h = watts * 500 mWh, to the milli-watt-hour.
  EXPECT_EQ(theft, std::int64_t{watts} * 500);

  // ---- episodes.csv
  const auto ep = read_csv(dir + "/episodes.csv");
  ASSERT_EQ(ep.size(), 5u);
  EXPECT_EQ(fmt::format("{}", fmt::join(ep[0], ",")), kEpisodesHeader);
  EXPECT_EQ((*w)->episodes_written(), 4u);
  const std::string at = format_iso8601(cut);
  const std::string end = format_iso8601(cut + Millis(30 * 60'000));
  std::set<std::string> seen;
  for (std::size_t i = 1; i < ep.size(); ++i) {
    seen.insert(fmt::format("{}", fmt::join(ep[i], ",")));
  }
  EXPECT_EQ(seen,
            (std::set<std::string>{
                fmt::format("0,dt-outage,{},start,{},{},0,control,0", dead.name, at, end),
                fmt::format("0,dt-outage,{},end,{},{},0,control,0", dead.name, end, end),
                fmt::format("1,magnet,{},start,{},{},{},control,0", thief_serial, at, end, watts),
                fmt::format("1,magnet,{},end,{},{},{},control,0", thief_serial, end, end, watts),
            }));

  // ---- pushes.csv: nothing leaves the dark DT; last gasps and first breaths do
  const auto pu = read_csv(dir + "/pushes.csv");
  ASSERT_FALSE(pu.empty());
  EXPECT_EQ(fmt::format("{}", fmt::join(pu[0], ",")), kPushesHeader);
  EXPECT_EQ((*w)->pushes_written(), pu.size() - 1);
  std::set<std::string> dark;
  dark.insert(t.meters[dead.meter].identity.serial);
  for (std::uint32_t c : dead.consumers) dark.insert(t.meters[c].identity.serial);
  std::set<std::string> no_supply;
  std::map<std::string, std::size_t> alerts;
  for (std::size_t i = 1; i < pu.size(); ++i) {
    const Row& r = pu[i];
    ASSERT_EQ(r.size(), 6u);
    EXPECT_TRUE(r[5] == "1" || r[5] == "2");
    const UtcTime when = time_of(r[2]);
    if (r[4] == "no-supply") {
      EXPECT_EQ(r[1], "block-load");
      EXPECT_TRUE(dark.count(r[0])) << r[0];
      EXPECT_GE(when, cut);
      EXPECT_LE(when, cut + Millis(30 * 60'000));
      no_supply.insert(r[0]);
    } else {
      EXPECT_EQ(r[4], "sent");
    }
    if (r[1] == "alert") ++alerts[r[0]];
  }
  EXPECT_EQ(no_supply, dark);  // every meter of the DT missed at least one push
  for (const auto& s : dark) EXPECT_EQ(alerts[s], 2u) << s;  // last gasp, first breath
  EXPECT_EQ(alerts[thief_serial], 2u);                       // tamper on, tamper off

  // ---- nothing in relay.csv and failovers.csv but their headers
  EXPECT_EQ(read_lines(dir + "/relay.csv"), std::vector<std::string>{kRelayHeader});
  EXPECT_EQ(read_lines(dir + "/failovers.csv"), std::vector<std::string>{kFailoversHeader});
}

TEST(CsvTruth, RelayAndFailoverRows) {
  const std::string dir = temp_dir("relay");
  const Topology topo = generate(small_spec());
  auto w = CsvTruthWriter::open(topo, dir);
  ASSERT_TRUE(w.ok()) << w.error().describe();
  ManualClock clock(kStart);
  Fleet f(topo, quiet_config(), clock, w->get());
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  const std::uint32_t other = m + 1;
  const std::string& serial = f.topology().meters[m].identity.serial;
  const std::string& other_serial = f.topology().meters[other].identity.serial;
  ASSERT_TRUE(meter::has_relay(f.topology().meters[other].identity.kind));
  const auto& ops = f.topology().meters[m].sim_operator;
  ASSERT_FALSE(ops[1].empty());

  ASSERT_TRUE(f.control("cut-operator " + ops[0] + " 60").ok());
  run(f, clock, Millis(30 * 60'000));
  ASSERT_TRUE(f.meter(other).disconnect());
  const UtcTime opened = clock.now();
  (void)f.after_session(other);
  run(f, clock, Millis(30 * 60'000));
  ASSERT_TRUE((*w)->close().ok());

  EXPECT_EQ(read_lines(dir + "/relay.csv"),
            (std::vector<std::string>{kRelayHeader, fmt::format("{},{},open,command", other_serial,
                                                                format_iso8601(opened))}));
  EXPECT_EQ((*w)->relays_written(), 1u);

  const auto fo = read_csv(dir + "/failovers.csv");
  ASSERT_GE(fo.size(), 2u);
  EXPECT_EQ(fmt::format("{}", fmt::join(fo[0], ",")), kFailoversHeader);
  EXPECT_EQ((*w)->failovers_written(), fo.size() - 1);
  bool m_failed_over = false;
  for (std::size_t i = 1; i < fo.size(); ++i) {
    ASSERT_EQ(fo[i].size(), 3u);
    if (fo[i][0] == serial) m_failed_over |= fo[i][2] == "2";
  }
  EXPECT_TRUE(m_failed_over);

  // m's block-load pushes went over SIM 2 after the failover.
  bool via_sim2 = false;
  for (const auto& r : read_csv(dir + "/pushes.csv"))
    via_sim2 |= r[0] == serial && r[1] == "block-load" && r[4] == "sent" && r[5] == "2";
  EXPECT_TRUE(via_sim2);

  // The open relay shows in the disconnected meter's interval rows from then on.
  std::size_t open_rows = 0;
  for (const auto& r : read_csv(dir + "/intervals.csv")) {
    if (r[0] != other_serial) continue;
    const UtcTime start = time_of(r[2]);
    EXPECT_EQ(r[7], start + Millis(kPeriodMs) > opened ? "open" : "closed") << r[2];
    open_rows += r[7] == "open";
    if (start >= opened) {
      EXPECT_EQ(r[4], "0.000") << r[2];
    }
  }
  EXPECT_GE(open_rows, 2u);
}

TEST(CsvTruth, TokenRowsAndTheRelayTheyClose) {
  const std::string dir = temp_dir("tokens");
  const Topology topo = generate(small_spec());
  auto w = CsvTruthWriter::open(topo, dir);
  ASSERT_TRUE(w.ok()) << w.error().describe();
  ManualClock clock(kStart);  // 2026-09-21 19:43 IST
  Fleet f(topo, quiet_config(), clock, w->get());
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  const MeterRecord& rec = f.topology().meters[m];
  const auto key = token::derive_token_key(rec.secrets.ak, rec.identity.system_title);
  run(f, clock, Millis(10 * 60'000));
  ASSERT_TRUE(f.meter(m).disconnect());
  (void)f.after_session(m);
  const UtcTime typed = clock.now();
  const std::string good = token::encode_token(key, {9, 1'200, token::ist_day(typed)}).value();
  std::string typo = good;
  typo[5] = typo[5] == '1' ? '2' : '1';
  ASSERT_TRUE(f.control("token " + rec.identity.serial + " " + typo).ok());
  ASSERT_TRUE(f.enter_token(rec.identity.serial, good).ok());
  ASSERT_TRUE((*w)->close().ok());

  const std::string at = format_iso8601(typed);
  EXPECT_EQ(read_lines(dir + "/tokens.csv"),
            (std::vector<std::string>{
                kTokensHeader,
                fmt::format("{},{},wrong-token,,,,unchanged", rec.identity.serial, at),
                fmt::format("{},{},accepted,9,1200,2026-09-21,closed", rec.identity.serial, at),
            }));
  EXPECT_EQ((*w)->tokens_written(), 2u);
  EXPECT_EQ(read_lines(dir + "/relay.csv"),
            (std::vector<std::string>{kRelayHeader,
                                      fmt::format("{},{},open,command", rec.identity.serial, at),
                                      fmt::format("{},{},closed,token", rec.identity.serial, at)}));
}

TEST(CsvTruth, EpisodeEndedByACommandKeepsItsPlannedEnd) {
  const std::string dir = temp_dir("restore");
  const Topology topo = generate(small_spec());
  auto w = CsvTruthWriter::open(topo, dir);
  ASSERT_TRUE(w.ok()) << w.error().describe();
  ManualClock clock(kStart);
  Fleet f(topo, quiet_config(), clock, w->get());
  const std::string feeder = f.topology().feeders[0].name;
  const std::string dt = f.topology().dts.back().name;
  const std::string t0 = format_iso8601(clock.now());
  ASSERT_TRUE(f.control("fail-feeder " + feeder).ok());  // until restored
  ASSERT_TRUE(f.control("fail-dt " + dt + " 60").ok());
  run(f, clock, Millis(20 * 60'000));
  const std::string t1 = format_iso8601(clock.now());
  ASSERT_TRUE(f.control("restore-feeder " + feeder).ok());
  ASSERT_TRUE(f.control("restore-dt " + dt).ok());
  run(f, clock, Millis(60 * 60'000));
  ASSERT_TRUE((*w)->flush().ok());
  const std::string planned = format_iso8601(kStart + Millis(60 * 60'000));
  EXPECT_EQ(read_lines(dir + "/episodes.csv"),
            (std::vector<std::string>{
                kEpisodesHeader,
                fmt::format("0,feeder-outage,{},start,{},,0,control,0", feeder, t0),
                fmt::format("1,dt-outage,{},start,{},{},0,control,0", dt, t0, planned),
                fmt::format("0,feeder-outage,{},end,{},,0,control,0", feeder, t1),
                fmt::format("1,dt-outage,{},end,{},{},0,control,0", dt, t1, planned),
            }));
}

TEST(CsvTruth, NumbersAndTextAreWrittenExactly) {
  const std::string dir = temp_dir("numbers");
  const Topology topo = generate(small_spec());
  std::vector<std::string> lines;
  {
    auto w = CsvTruthWriter::open(topo, dir);
    ASSERT_TRUE(w.ok()) << w.error().describe();
    IntervalTruth iv;
    iv.meter = 0;
    iv.start = kStart;
    iv.true_mwh = 12'345;
    iv.recorded_mwh = 5;
    iv.theft_mwh = -500;
    iv.supplied_ms = 900'000;
    iv.relay_closed = false;
    (*w)->on_interval(iv);
    iv.meter = 9'999'999;  // not in the topology: written, not dropped or crashed on
    iv.true_mwh = std::numeric_limits<std::int64_t>::min();
    iv.recorded_mwh = std::numeric_limits<std::int64_t>::max();
    iv.theft_mwh = 1000;
    iv.supplied_ms = 0;
    (*w)->on_interval(iv);
    Episode e;
    e.id = 7;
    e.kind = EpisodeKind::kOperatorOutage;
    e.target = "JIO, \"north\"";
    e.start = kStart;
    (*w)->on_episode(e, true, kStart);  // open-ended: planned_end empty
    EXPECT_EQ((*w)->intervals_written(), 2u);
    EXPECT_EQ((*w)->episodes_written(), 1u);
    EXPECT_GT((*w)->bytes_written(), 0u);
    // No flush: the destructor writes the buffered rows.
  }
  const std::string serial = topo.meters[0].identity.serial;
  const std::string kind = meter::to_string(topo.meters[0].identity.kind);
  const std::string at = format_iso8601(kStart);
  EXPECT_EQ(read_lines(dir + "/intervals.csv"),
            (std::vector<std::string>{
                kIntervalsHeader,
                fmt::format("{},{},{},12.345,0.005,-0.500,900.000,open", serial, kind, at),
                fmt::format("#9999999,unknown,{},-9223372036854775.808,9223372036854775.807,"
                            "1.000,0.000,open",
                            at),
            }));
  EXPECT_EQ(
      read_lines(dir + "/episodes.csv"),
      (std::vector<std::string>{
          kEpisodesHeader,
          fmt::format("7,operator-outage,\"JIO, \"\"north\"\"\",start,{},,0,control,0", at)}));
}

TEST(CsvTruth, SilentTheftShowsAsDtRowTheftAndConsumerRowTheftWithItsEpisodes) {
  const std::string dir = temp_dir("silent");
  const Topology topo = generate(small_spec());
  auto w = CsvTruthWriter::open(topo, dir);
  ASSERT_TRUE(w.ok()) << w.error().describe();
  ManualClock clock(kStart);
  Fleet f(topo, quiet_config(), clock, w->get());
  const Dt& dt = topo.dts[1];
  const std::uint32_t thief = dt.consumers[2];
  const std::string& thief_serial = topo.meters[thief].identity.serial;
  const UtcTime at = clock.now();
  ASSERT_TRUE(f.control("hook " + dt.name + " 1500 60").ok());
  ASSERT_TRUE(f.control("silent-bypass " + thief_serial + " 45 60").ok());
  run(f, clock, Millis(2 * 3'600'000));
  ASSERT_TRUE((*w)->flush().ok());

  // The DT meter's rows: true = recorded (what it measures), theft = the hook's energy; the
  // thief's rows: true = recorded + theft; the hook's total is 1500 W for one hour.
  std::int64_t hook = 0, bypassed = 0;
  const auto iv = read_csv(dir + "/intervals.csv");
  for (std::size_t i = 1; i < iv.size(); ++i) {
    const Row& r = iv[i];
    if (r[0] == topo.meters[dt.meter].identity.serial) {
      EXPECT_EQ(milli(r[3]), milli(r[4]));
      hook += milli(r[5]);
    } else if (r[0] == thief_serial) {
      EXPECT_EQ(milli(r[3]), milli(r[4]) + milli(r[5]));
      bypassed += milli(r[5]);
    } else {
      EXPECT_EQ(milli(r[5]), 0) << r[0];
    }
  }
  EXPECT_EQ(hook, 1'500'000);
  EXPECT_EQ(bypassed, f.grid().bypass_mwh(thief, at, at + Millis(3'600'000)));
  EXPECT_GT(bypassed, 0);

  const std::string start = format_iso8601(at);
  const std::string end = format_iso8601(at + Millis(3'600'000));
  EXPECT_EQ(
      read_lines(dir + "/episodes.csv"),
      (std::vector<std::string>{
          kEpisodesHeader,
          fmt::format("0,hook,{},start,{},{},1500,control,0", dt.name, start, end),
          fmt::format("1,silent-bypass,{},start,{},{},0,control,450000", thief_serial, start, end),
          fmt::format("0,hook,{},end,{},{},1500,control,0", dt.name, end, end),
          fmt::format("1,silent-bypass,{},end,{},{},0,control,450000", thief_serial, end, end),
      }));
}

TEST(CsvTruth, RowsAfterCloseAreDroppedAndReopeningTruncates) {
  const std::string dir = temp_dir("reopen");
  const Topology topo = generate(small_spec());
  auto w = CsvTruthWriter::open(topo, dir);
  ASSERT_TRUE(w.ok());
  (*w)->on_failover(0, kStart, 1);
  ASSERT_TRUE((*w)->close().ok());
  (*w)->on_failover(0, kStart, 0);
  EXPECT_EQ((*w)->failovers_written(), 1u);
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(read_lines(dir + "/failovers.csv"),
            (std::vector<std::string>{
                kFailoversHeader,
                fmt::format("{},{},2", topo.meters[0].identity.serial, format_iso8601(kStart))}));
  auto again = CsvTruthWriter::open(topo, dir);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->flush().ok());
  EXPECT_EQ(read_lines(dir + "/failovers.csv"), std::vector<std::string>{kFailoversHeader});
}

TEST(CsvTruth, OpenFailsWithIoNamingThePath) {
  const std::string base = temp_dir("unwritable");
  fs::create_directories(base);
  const std::string file = base + "/plain-file";
  std::ofstream(file) << "not a directory\n";
  const Topology topo = generate(small_spec());

  const std::string under_file = file + "/truth";
  auto r = CsvTruthWriter::open(topo, under_file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_NE(r.error().message.find(under_file), std::string::npos) << r.error().message;

  r = CsvTruthWriter::open(topo, file);  // exists, but is a file
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_NE(r.error().message.find(file), std::string::npos) << r.error().message;

  // One of the files cannot be created: a directory is in its place.
  const std::string blocked = base + "/blocked";
  fs::create_directories(blocked + "/pushes.csv");
  r = CsvTruthWriter::open(topo, blocked);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_NE(r.error().message.find(blocked + "/pushes.csv"), std::string::npos)
      << r.error().message;

  r = CsvTruthWriter::open(topo, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace vidyut::fleet
