#include "fleet/fleet_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace vidyut::fleet {
namespace {

using meter::MeterKind;

FleetSpec spec_500() {
  FleetSpec spec;
  spec.seed = 20260501;
  spec.consumers = 500;
  spec.consumers_per_dt = 40;
  spec.dts_per_feeder = 4;  // several feeders
  spec.static_ip_share = 0.25;
  return spec;
}

void expect_same_meter(const MeterRecord& a, const MeterRecord& b, std::size_t i) {
  SCOPED_TRACE(testing::Message() << "meter " << i << " serial " << a.identity.serial);
  EXPECT_EQ(a.identity.serial, b.identity.serial);
  EXPECT_EQ(a.identity.manufacturer, b.identity.manufacturer);
  EXPECT_EQ(a.identity.manufacturer_name, b.identity.manufacturer_name);
  EXPECT_EQ(a.identity.firmware_version, b.identity.firmware_version);
  EXPECT_EQ(a.identity.system_title, b.identity.system_title);
  EXPECT_EQ(a.identity.seed, b.identity.seed);
  EXPECT_EQ(a.identity.sanctioned_load_w, b.identity.sanctioned_load_w);
  EXPECT_EQ(a.identity.category, b.identity.category);
  EXPECT_EQ(a.identity.kind, b.identity.kind);
  EXPECT_EQ(a.identity.current_rating, b.identity.current_rating);
  EXPECT_EQ(a.identity.year_of_manufacture, b.identity.year_of_manufacture);
  EXPECT_EQ(a.secrets.lls_password, b.secrets.lls_password);
  EXPECT_EQ(a.secrets.ek, b.secrets.ek);
  EXPECT_EQ(a.secrets.ak, b.secrets.ak);
  EXPECT_EQ(a.feeder, b.feeder);
  EXPECT_EQ(a.dt, b.dt);
  EXPECT_EQ(a.consumer_id, b.consumer_id);
  EXPECT_EQ(a.sim_operator, b.sim_operator);
  EXPECT_EQ(a.static_ip, b.static_ip);
}

void expect_same_topology(const Topology& a, const Topology& b) {
  ASSERT_EQ(a.meters.size(), b.meters.size());
  for (std::size_t i = 0; i < a.meters.size(); ++i) expect_same_meter(a.meters[i], b.meters[i], i);
  ASSERT_EQ(a.feeders.size(), b.feeders.size());
  for (std::size_t f = 0; f < a.feeders.size(); ++f) {
    EXPECT_EQ(a.feeders[f].name, b.feeders[f].name);
    EXPECT_EQ(a.feeders[f].meter, b.feeders[f].meter);
    EXPECT_EQ(a.feeders[f].dts, b.feeders[f].dts);
  }
  ASSERT_EQ(a.dts.size(), b.dts.size());
  for (std::size_t d = 0; d < a.dts.size(); ++d) {
    EXPECT_EQ(a.dts[d].name, b.dts[d].name);
    EXPECT_EQ(a.dts[d].feeder, b.dts[d].feeder);
    EXPECT_EQ(a.dts[d].meter, b.dts[d].meter);
    EXPECT_EQ(a.dts[d].rating_kva, b.dts[d].rating_kva);
    EXPECT_EQ(a.dts[d].consumers, b.dts[d].consumers);
  }
  EXPECT_EQ(a.dt_of, b.dt_of);
  EXPECT_EQ(a.feeder_of, b.feeder_of);
}

// ---- editing CSV text in tests ----------------------------------------------------------

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

std::string join_fields(const std::vector<std::string>& f) {
  std::string s;
  for (std::size_t i = 0; i < f.size(); ++i) s += (i ? "," : "") + f[i];
  return s;
}

// The written file's layout: line 1 version, line 2 comment, line 3 header, rows from line 4.
constexpr std::size_t kHeaderLine = 3;
constexpr std::size_t kFirstRowLine = 4;

std::size_t column_index(const std::vector<std::string>& lines, const std::string& name) {
  const auto header = split(lines[kHeaderLine - 1]);
  const auto it = std::find(header.begin(), header.end(), name);
  EXPECT_NE(it, header.end()) << name;
  return static_cast<std::size_t>(it - header.begin());
}

// Sets one field of one (1-based) line.
void set_field(std::vector<std::string>& lines, std::size_t line_no, const std::string& column,
               const std::string& value) {
  auto f = split(lines[line_no - 1]);
  f[column_index(lines, column)] = value;
  lines[line_no - 1] = join_fields(f);
}

std::string get_field(const std::vector<std::string>& lines, std::size_t line_no,
                      const std::string& column) {
  return split(lines[line_no - 1])[column_index(lines, column)];
}

std::string fleet_text(const Topology& t) {
  auto text = write_fleet_csv(t);
  EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error().describe());
  return text.ok() ? *text : std::string();
}

const Topology& generated() {
  static const Topology t = generate(spec_500());
  return t;
}

// ---- round trip -------------------------------------------------------------------------

TEST(FleetFile, GeneratedFleetRoundTripsExactly) {
  const Topology& t = generated();
  ASSERT_EQ(t.meters.size() - t.feeders.size() - t.dts.size(), 500u);
  ASSERT_GT(t.feeders.size(), 1u);
  ASSERT_GT(t.dts.size(), 5u);
  // The spec puts some consumers on static IPs; make sure both cases are exercised.
  const auto with_ip = std::count_if(t.meters.begin(), t.meters.end(),
                                     [](const MeterRecord& m) { return !m.static_ip.empty(); });
  ASSERT_GT(with_ip, static_cast<long>(t.feeders.size() + t.dts.size()));
  ASSERT_LT(with_ip, static_cast<long>(t.meters.size()));

  const std::string text = fleet_text(t);
  EXPECT_TRUE(text.starts_with("# vidyut-fleet 1\n"));
  auto back = parse_fleet_csv(text);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  expect_same_topology(t, *back);
  EXPECT_EQ(back->find_serial(t.meters[7].identity.serial), 7);
  // Writing what was read gives the same bytes.
  EXPECT_EQ(fleet_text(*back), text);
}

TEST(FleetFile, WritesAndReadsAFileWithMode0600) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("fleet_file_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "fleet.csv").string();
  {  // An existing file and a stale .tmp (a crash) are both replaced.
    std::ofstream(path) << "old";
    std::ofstream(path + ".tmp") << "half";
  }
  ASSERT_TRUE(write_fleet_file(generated(), path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto back = read_fleet_file(path);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  expect_same_topology(generated(), *back);

  auto missing = read_fleet_file((dir / "nope.csv").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kIo);
  std::filesystem::remove_all(dir);
}

// ---- format errors ----------------------------------------------------------------------

TEST(FleetFile, RefusesOtherFormatVersions) {
  auto lines = lines_of(fleet_text(generated()));
  lines[0] = "# vidyut-fleet 2";
  auto r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kUnsupported);
  EXPECT_EQ(r.error().message,
            "line 1: fleet file format version 2; this Vidyut reads only version 1");

  lines[0] = "kind,serial";  // no version line at all
  r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
  EXPECT_TRUE(r.error().message.starts_with("line 1: expected '# vidyut-fleet 1'"))
      << r.error().message;

  r = parse_fleet_csv("");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().message.starts_with("line 1: ")) << r.error().message;
}

TEST(FleetFile, MissingColumnIsNamed) {
  auto lines = lines_of(fleet_text(generated()));
  const std::size_t ak = column_index(lines, "ak");
  for (std::size_t i = kHeaderLine - 1; i < lines.size(); ++i) {
    auto f = split(lines[i]);
    f.erase(f.begin() + static_cast<std::ptrdiff_t>(ak));
    lines[i] = join_fields(f);
  }
  auto r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
  EXPECT_EQ(r.error().message, "line 3, column ak: required column missing");
}

TEST(FleetFile, BadHexKeyNamesLineAndColumn) {
  auto lines = lines_of(fleet_text(generated()));
  const std::size_t line = kFirstRowLine + 16;  // line 20
  std::string ek = get_field(lines, line, "ek");
  ASSERT_EQ(ek.size(), 32u);
  set_field(lines, line, "ek", ek.substr(1));  // 31 digits
  auto r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
  EXPECT_EQ(r.error().message, "line 20, column ek: expected 32 hex digits, got 31 characters");

  ek[5] = 'G';  // right length, not hex; the key is not echoed
  set_field(lines, line, "ek", ek);
  r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "line 20, column ek: expected 32 hex digits, got a non-hex character");
  EXPECT_EQ(r.error().message.find(ek), std::string::npos);
}

TEST(FleetFile, OtherBadFieldsNameLineAndColumn) {
  const auto base = lines_of(fleet_text(generated()));
  struct Case {
    std::string column, value, message;
  };
  const std::size_t line = kFirstRowLine + 30;  // a consumer (line 34)
  ASSERT_TRUE(get_field(base, line, "kind").ends_with("-phase"));
  const std::vector<Case> cases = {
      {"kind", "two-phase",
       "line 34, column kind: expected single-phase, three-phase, dt or "
       "feeder, got 'two-phase'"},
      {"system_title", "5644590000",
       "line 34, column system_title: expected 16 hex digits, got "
       "'5644590000'"},
      {"manufacturer", "vd",
       "line 34, column manufacturer: expected a 3-letter capital "
       "manufacturer code, got 'vd'"},
      {"category", "industrial",
       "line 34, column category: expected domestic or commercial, got "
       "'industrial'"},
      {"sanctioned_load_w", "2kW",
       "line 34, column sanctioned_load_w: expected a decimal number "
       "from 0 to 4294967295, got '2kW'"},
      {"seed", "-1",
       "line 34, column seed: expected a decimal number from 0 to "
       "18446744073709551615, got '-1'"},
      {"static_ip", "127.1.2",
       "line 34, column static_ip: expected an IPv4 or IPv6 address or "
       "nothing, got '127.1.2'"},
      {"consumer_id", "", "line 34, column consumer_id: must not be empty"},
      {"dt", " F0001-T001", "line 34, column dt: has leading or trailing spaces"},
      {"serial", "0000-0001",
       "line 34, column serial: expected 1 to 13 letters or digits, got "
       "'0000-0001'"},
      {"lls_password", "ABCDEFGHIJKLMNOPQ",
       "line 34, column lls_password: expected 1 to 16 "
       "printable ASCII characters, got 17 bytes"},
  };
  for (const Case& c : cases) {
    auto lines = base;
    set_field(lines, line, c.column, c.value);
    auto r = parse_fleet_csv(join_lines(lines));
    ASSERT_FALSE(r.ok()) << c.column;
    EXPECT_EQ(r.error().code, Errc::kMalformed);
    EXPECT_EQ(r.error().message, c.message);
  }
  auto lines = base;
  lines[line - 1] += ",extra";
  auto r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "line 34: 17 fields; the header (line 3) has 16");
}

TEST(FleetFile, DuplicateSerialNamesBothLines) {
  auto lines = lines_of(fleet_text(generated()));
  const std::string first = get_field(lines, kFirstRowLine + 10, "serial");
  set_field(lines, kFirstRowLine + 40, "serial", first);
  auto r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
  EXPECT_EQ(r.error().message,
            "line 44, column serial: serial " + first + " is already on line 14");
}

TEST(FleetFile, DuplicateSystemTitleIsRefused) {
  auto lines = lines_of(fleet_text(generated()));
  const std::string title = get_field(lines, kFirstRowLine + 10, "system_title");
  set_field(lines, kFirstRowLine + 11, "system_title", title);
  auto r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "line 15, column system_title: system title " + title + " is already on line 14");
}

TEST(FleetFile, ConsumerUnderDtWithoutDtMeterIsRefused) {
  const Topology& t = generated();
  auto lines = lines_of(fleet_text(t));
  // Drop the second DT's meter row; its first consumer is then the first row to fail.
  const Dt& dt = t.dts[1];
  ASSERT_FALSE(dt.consumers.empty());
  ASSERT_LT(dt.meter, dt.consumers[0]);
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(kFirstRowLine - 1 + dt.meter));
  // Line numbers after the removed row move up by one.
  const std::size_t consumer_line = kFirstRowLine + dt.consumers[0] - 1;
  auto r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
  EXPECT_EQ(r.error().message, "line " + std::to_string(consumer_line) + ", column dt: DT " +
                                   dt.name + " has no DT meter");
}

TEST(FleetFile, DtOnUnmeteredFeederAndTwoFeederMetersAreRefused) {
  const Topology& t = generated();
  auto lines = lines_of(fleet_text(t));
  const std::size_t dt_line = kFirstRowLine + t.dts[0].meter;
  set_field(lines, dt_line, "feeder", "F9999");
  auto r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "line " + std::to_string(dt_line) +
                                   ", column feeder: feeder F9999 has no feeder meter");

  lines = lines_of(fleet_text(t));
  set_field(lines, kFirstRowLine + 1, "feeder", t.feeders[0].name);
  r = parse_fleet_csv(join_lines(lines));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "line 5, column feeder: feeder " + t.feeders[0].name +
                                   " already has a meter on line 4");
}

// ---- flexibility the format promises ----------------------------------------------------

TEST(FleetFile, ShuffledColumnsExtraColumnsCommentsAndCrlfStillParse) {
  const Topology& t = generated();
  const auto lines = lines_of(fleet_text(t));
  std::vector<std::string> out = {lines[0], "# a utility's export", ""};
  // Reverse the column order and put an unknown column in the middle.
  for (std::size_t i = kHeaderLine - 1; i < lines.size(); ++i) {
    auto f = split(lines[i]);
    std::reverse(f.begin(), f.end());
    f.insert(f.begin() + 3, i == kHeaderLine - 1 ? "notes" : "installed 2024");
    out.push_back(join_fields(f) + "\r");
    if (i == kHeaderLine + 5) out.push_back("# a comment between rows");
    if (i == kHeaderLine + 6) out.push_back(",,,,");  // a spreadsheet's empty row
  }
  ASSERT_FALSE(out[3].starts_with("kind"));
  auto back = parse_fleet_csv(join_lines(out));
  ASSERT_TRUE(back.ok()) << back.error().describe();
  expect_same_topology(t, *back);
}

TEST(FleetFile, EmptySeedMeansZero) {
  auto lines = lines_of(fleet_text(generated()));
  set_field(lines, kFirstRowLine + 20, "seed", "");
  auto back = parse_fleet_csv(join_lines(lines));
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->meters[20].identity.seed, 0u);
  EXPECT_EQ(back->meters[21].identity.seed, generated().meters[21].identity.seed);
}

// ---- writer -----------------------------------------------------------------------------

TEST(FleetFile, FieldWithCommaIsRefusedOnWrite) {
  Topology t = generated();
  t.meters[5].consumer_id = "C0000005,extra";
  auto text = write_fleet_csv(t);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(text.error().message,
            "line 9, column consumer_id: contains a comma (fields cannot be quoted) (meter " +
                t.meters[5].identity.serial + ")");

  const auto path = std::filesystem::temp_directory_path() /
                    ("fleet_file_comma_" + std::to_string(::getpid()) + ".csv");
  EXPECT_FALSE(write_fleet_file(t, path.string()).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));

  t = generated();
  t.meters[6].feeder += "\"";
  text = write_fleet_csv(t);
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(text.error().message.starts_with("line 10, column feeder: contains a double quote"))
      << text.error().message;
}

TEST(FleetFile, WriterRefusesWhatTheReaderWouldRefuse) {
  Topology t = generated();
  t.meters[10].identity.serial = t.meters[3].identity.serial;
  auto text = write_fleet_csv(t);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(text.error().message, "line 14, column serial: serial " + t.meters[3].identity.serial +
                                      " is already on line 7");
}

// ---- the documentation's example --------------------------------------------------------

TEST(FleetFile, DocumentationExampleParses) {
  std::ifstream f(std::string(VIDYUT_SOURCE_DIR) + "/docs/fleet-file.md");
  ASSERT_TRUE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const std::string open = "```csv\n";
  const std::size_t start = doc.find(open);
  ASSERT_NE(start, std::string::npos);
  const std::size_t end = doc.find("```", start + open.size());
  ASSERT_NE(end, std::string::npos);
  auto t = parse_fleet_csv(doc.substr(start + open.size(), end - start - open.size()));
  ASSERT_TRUE(t.ok()) << t.error().describe();
  ASSERT_EQ(t->meters.size(), 4u);
  ASSERT_EQ(t->feeders.size(), 1u);
  ASSERT_EQ(t->dts.size(), 1u);
  EXPECT_EQ(t->dts[0].consumers.size(), 2u);
  EXPECT_EQ(t->meters[t->feeders[0].meter].identity.kind, MeterKind::kFeeder);
  EXPECT_EQ(t->meters[t->dts[0].meter].identity.kind, MeterKind::kDt);
  for (std::uint32_t c : t->dts[0].consumers) {
    EXPECT_FALSE(t->meters[c].consumer_id.empty());
    EXPECT_TRUE(meter::has_relay(t->meters[c].identity.kind));
  }
}

}  // namespace
}  // namespace vidyut::fleet
