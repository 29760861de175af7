#include "fleet/fleet_file.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/bytes.h"
#include "core/log.h"

namespace vidyut::fleet {
namespace {

using meter::ConsumerCategory;
using meter::MeterKind;

// The columns, in the order the writer puts them. The reader finds them by name.
enum Col : std::size_t {
  kKind,
  kSerial,
  kManufacturer,
  kSystemTitle,
  kCategory,
  kSanctioned,
  kFeeder,
  kDt,
  kConsumerId,
  kLlsPassword,
  kEk,
  kAk,
  kSim1,
  kSim2,
  kStaticIp,
  kSeed,
  kColumnCount,
};

constexpr std::array<std::string_view, kColumnCount> kColumnNames = {
    "kind",   "serial", "manufacturer", "system_title", "category", "sanctioned_load_w",
    "feeder", "dt",     "consumer_id",  "lls_password", "ek",       "ak",
    "sim1",   "sim2",   "static_ip",    "seed",
};

constexpr std::string_view kVersionPrefix = "# vidyut-fleet ";
// Serials are at most 13 characters: the logical device name is the 3-letter manufacturer code
// and the serial zero-padded to 13 (16 characters, see SinglePhaseMeter::logical_device_name).
constexpr std::size_t kMaxSerialLength = 13;
// LLS passwords are at most 16 characters (IS 15959 meters; see dlms/apdu/acse.h).
constexpr std::size_t kMaxPasswordLength = 16;

constexpr std::array<MeterKind, 4> kKinds = {MeterKind::kSinglePhase, MeterKind::kThreePhase,
                                             MeterKind::kDt, MeterKind::kFeeder};
constexpr std::array<ConsumerCategory, 2> kCategories = {ConsumerCategory::kDomestic,
                                                         ConsumerCategory::kCommercial};

using Fields = std::array<std::string_view, kColumnCount>;

Error field_error(std::size_t line, Col c, std::string_view what) {
  return Error(Errc::kMalformed,
               fmt::format("line {}, column {}: {}", line, kColumnNames[c], what));
}

Error line_error(std::size_t line, std::string_view what, Errc code = Errc::kMalformed) {
  return Error(code, fmt::format("line {}: {}", line, what));
}

// The rule every field obeys, so that no field ever needs quoting: no comma, double quote, line
// break or other control character, and no leading or trailing space (which a spreadsheet adds
// unseen and which would silently make two names differ).
Status check_plain(std::size_t line, Col c, std::string_view v) {
  for (char ch : v) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == ',') return field_error(line, c, "contains a comma (fields cannot be quoted)");
    if (ch == '"') return field_error(line, c, "contains a double quote");
    if (ch == '\n' || ch == '\r') return field_error(line, c, "contains a line break");
    if (u < 0x20 || u == 0x7F) {
      return field_error(line, c, fmt::format("contains control character 0x{:02X}", u));
    }
  }
  if (!v.empty() && (v.front() == ' ' || v.back() == ' ')) {
    return field_error(line, c, "has leading or trailing spaces");
  }
  return ok_status();
}

// A feeder, DT, consumer or operator name: plain, at most kMaxFleetNameLength bytes.
Status check_name(std::size_t line, Col c, std::string_view v, bool required) {
  VIDYUT_CHECK(check_plain(line, c, v));
  if (required && v.empty()) return field_error(line, c, "must not be empty");
  if (v.size() > kMaxFleetNameLength) {
    return field_error(line, c,
                       fmt::format("{} characters; at most {}", v.size(), kMaxFleetNameLength));
  }
  return ok_status();
}

bool is_hex_digit(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

template <std::size_t N>
Result<std::array<std::uint8_t, N>> parse_hex_field(std::size_t line, Col c, std::string_view v) {
  const bool all_hex = std::all_of(v.begin(), v.end(), is_hex_digit);
  if (v.size() != 2 * N || !all_hex) {
    // Keys are not echoed: errors end up in logs and tickets.
    const bool secret = c == kEk || c == kAk;
    const std::string got = secret ? (v.size() != 2 * N ? fmt::format("{} characters", v.size())
                                                        : std::string("a non-hex character"))
                                   : fmt::format("'{}'", v);
    return field_error(line, c, fmt::format("expected {} hex digits, got {}", 2 * N, got));
  }
  auto bytes = from_hex(v);
  if (!bytes.ok() || bytes->size() != N) {
    return field_error(line, c, fmt::format("expected {} hex digits", 2 * N));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

template <typename T>
Result<T> parse_uint_field(std::size_t line, Col c, std::string_view v) {
  T value{};
  const bool digits =
      !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (!digits || ec != std::errc() || ptr != v.data() + v.size()) {
    return field_error(line, c,
                       fmt::format("expected a decimal number from 0 to {}, got '{}'",
                                   std::numeric_limits<T>::max(), v));
  }
  return value;
}

// Name-plate current rating by kind, as generate() sets it (topology.cc, add_meter).
const char* current_rating_of(MeterKind kind) {
  switch (kind) {
    case MeterKind::kSinglePhase:
      return "5-30A";
    case MeterKind::kThreePhase:
      return "10-60A";
    case MeterKind::kDt:
    case MeterKind::kFeeder:
      return "-/5A";  // CT-operated
  }
  return "";
}

// The identity a row describes. Fields the file does not carry (manufacturer name, firmware
// version, year of manufacture, current rating) are derived exactly as generate() derives them,
// so a generated fleet survives the round trip unchanged; the system title is taken as given,
// because a real fleet's titles come from the manufacturer.
meter::MeterIdentity make_row_identity(MeterKind kind, std::string_view manufacturer,
                                       std::string_view serial,
                                       const std::array<std::uint8_t, 8>& title,
                                       ConsumerCategory category, std::uint32_t sanctioned_w,
                                       std::uint64_t seed) {
  meter::MeterIdentity id = meter::make_identity(std::string(manufacturer), std::string(serial),
                                                 seed, category, sanctioned_w);
  id.system_title = title;
  id.kind = kind;
  id.current_rating = current_rating_of(kind);
  return id;
}

// One row's fields (already picked out by column) as a meter record. Checks every field alone
// and the rules that depend on the meter's kind; checks across rows are check_fleet's.
Result<MeterRecord> parse_row(std::size_t line, const Fields& f) {
  for (std::size_t c = 0; c < kColumnCount; ++c) {
    VIDYUT_CHECK(check_plain(line, static_cast<Col>(c), f[c]));
  }

  std::optional<MeterKind> kind;
  for (MeterKind k : kKinds) {
    if (f[kKind] == meter::to_string(k)) kind = k;
  }
  if (!kind) {
    return field_error(
        line, kKind,
        fmt::format("expected single-phase, three-phase, dt or feeder, got '{}'", f[kKind]));
  }

  const std::string_view serial = f[kSerial];
  const bool serial_chars = std::all_of(serial.begin(), serial.end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
  });
  if (serial.empty() || serial.size() > kMaxSerialLength || !serial_chars) {
    return field_error(
        line, kSerial,
        fmt::format("expected 1 to {} letters or digits, got '{}'", kMaxSerialLength, serial));
  }

  const std::string_view mfr = f[kManufacturer];
  if (mfr.size() != 3 ||
      !std::all_of(mfr.begin(), mfr.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
    return field_error(line, kManufacturer,
                       fmt::format("expected a 3-letter capital manufacturer code, got '{}'", mfr));
  }

  VIDYUT_TRY(title, parse_hex_field<8>(line, kSystemTitle, f[kSystemTitle]));

  std::optional<ConsumerCategory> category;
  for (ConsumerCategory cat : kCategories) {
    if (f[kCategory] == meter::to_string(cat)) category = cat;
  }
  if (!category) {
    return field_error(line, kCategory,
                       fmt::format("expected domestic or commercial, got '{}'", f[kCategory]));
  }

  VIDYUT_TRY(sanctioned, parse_uint_field<std::uint32_t>(line, kSanctioned, f[kSanctioned]));
  if (*sanctioned == 0) return field_error(line, kSanctioned, "must be at least 1 W");

  const bool consumer = *kind == MeterKind::kSinglePhase || *kind == MeterKind::kThreePhase;
  VIDYUT_CHECK(check_name(line, kFeeder, f[kFeeder], true));
  if (*kind == MeterKind::kFeeder) {
    if (!f[kDt].empty()) return field_error(line, kDt, "must be empty for a feeder meter");
  } else {
    VIDYUT_CHECK(check_name(line, kDt, f[kDt], true));
  }
  if (consumer) {
    VIDYUT_CHECK(check_name(line, kConsumerId, f[kConsumerId], true));
  } else if (!f[kConsumerId].empty()) {
    return field_error(line, kConsumerId,
                       fmt::format("must be empty for a {} meter", meter::to_string(*kind)));
  }

  const std::string_view password = f[kLlsPassword];
  if (password.empty() || password.size() > kMaxPasswordLength ||
      !std::all_of(password.begin(), password.end(),
                   [](char ch) { return ch >= 0x20 && ch <= 0x7E; })) {
    // The password itself is not echoed: errors end up in logs.
    return field_error(line, kLlsPassword,
                       fmt::format("expected 1 to {} printable ASCII characters, got {} bytes",
                                   kMaxPasswordLength, password.size()));
  }

  VIDYUT_TRY(ek, parse_hex_field<16>(line, kEk, f[kEk]));
  VIDYUT_TRY(ak, parse_hex_field<16>(line, kAk, f[kAk]));

  VIDYUT_CHECK(check_name(line, kSim1, f[kSim1], true));
  VIDYUT_CHECK(check_name(line, kSim2, f[kSim2], false));

  const std::string_view ip = f[kStaticIp];
  if (!ip.empty()) {
    std::array<std::uint8_t, 16> buf{};
    const std::string ip_text(ip);
    if (inet_pton(AF_INET, ip_text.c_str(), buf.data()) != 1 &&
        inet_pton(AF_INET6, ip_text.c_str(), buf.data()) != 1) {
      return field_error(line, kStaticIp,
                         fmt::format("expected an IPv4 or IPv6 address or nothing, got '{}'", ip));
    }
  }

  std::uint64_t seed = 0;
  if (!f[kSeed].empty()) {
    VIDYUT_TRY(s, parse_uint_field<std::uint64_t>(line, kSeed, f[kSeed]));
    seed = *s;
  }

  MeterRecord r;
  r.identity = make_row_identity(*kind, mfr, serial, *title, *category, *sanctioned, seed);
  r.secrets.lls_password = std::string(password);
  r.secrets.ek = *ek;
  r.secrets.ak = *ak;
  r.feeder = std::string(f[kFeeder]);
  r.dt = std::string(f[kDt]);
  r.consumer_id = std::string(f[kConsumerId]);
  r.sim_operator = {std::string(f[kSim1]), std::string(f[kSim2])};
  r.static_ip = std::string(ip);
  return r;
}

// The rules across rows, with the lines to blame: unique serials, system titles and consumer
// ids; one meter per feeder and per DT; every DT on a metered feeder; every consumer under a
// metered DT on the feeder it names. link() checks the same network rules, but cannot name lines.
Status check_fleet(const std::vector<MeterRecord>& m, const std::vector<std::size_t>& lines) {
  std::unordered_map<std::string_view, std::size_t> serials;
  std::unordered_map<std::string_view, std::size_t> titles;
  std::unordered_map<std::string_view, std::size_t> consumers;
  std::unordered_map<std::string_view, std::size_t> feeders;  // name -> line of its meter
  std::unordered_map<std::string_view, std::size_t> dts;      // name -> row of its meter
  serials.reserve(m.size());
  titles.reserve(m.size());
  consumers.reserve(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) {
    const std::string_view title(reinterpret_cast<const char*>(m[i].identity.system_title.data()),
                                 m[i].identity.system_title.size());
    if (auto [it, fresh] = serials.emplace(m[i].identity.serial, lines[i]); !fresh) {
      return field_error(lines[i], kSerial,
                         fmt::format("serial {} is already on line {}", it->first, it->second));
    }
    if (auto [it, fresh] = titles.emplace(title, lines[i]); !fresh) {
      return field_error(lines[i], kSystemTitle,
                         fmt::format("system title {} is already on line {}",
                                     to_hex(m[i].identity.system_title), it->second));
    }
    if (!m[i].consumer_id.empty()) {
      if (auto [it, fresh] = consumers.emplace(m[i].consumer_id, lines[i]); !fresh) {
        return field_error(lines[i], kConsumerId,
                           fmt::format("consumer {} is already on line {}", it->first, it->second));
      }
    }
    if (m[i].identity.kind == MeterKind::kFeeder) {
      if (auto [it, fresh] = feeders.emplace(m[i].feeder, lines[i]); !fresh) {
        return field_error(
            lines[i], kFeeder,
            fmt::format("feeder {} already has a meter on line {}", it->first, it->second));
      }
    }
  }
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i].identity.kind != MeterKind::kDt) continue;
    if (!feeders.contains(m[i].feeder)) {
      return field_error(lines[i], kFeeder,
                         fmt::format("feeder {} has no feeder meter", m[i].feeder));
    }
    if (auto [it, fresh] = dts.emplace(m[i].dt, i); !fresh) {
      return field_error(
          lines[i], kDt,
          fmt::format("DT {} already has a meter on line {}", it->first, lines[it->second]));
    }
  }
  for (std::size_t i = 0; i < m.size(); ++i) {
    const MeterKind kind = m[i].identity.kind;
    if (kind == MeterKind::kFeeder || kind == MeterKind::kDt) continue;
    if (!feeders.contains(m[i].feeder)) {
      return field_error(lines[i], kFeeder,
                         fmt::format("feeder {} has no feeder meter", m[i].feeder));
    }
    auto d = dts.find(m[i].dt);
    if (d == dts.end()) {
      return field_error(lines[i], kDt, fmt::format("DT {} has no DT meter", m[i].dt));
    }
    if (m[d->second].feeder != m[i].feeder) {
      return field_error(lines[i], kFeeder,
                         fmt::format("DT {} is on feeder {} (line {}), not {}", m[i].dt,
                                     m[d->second].feeder, lines[d->second], m[i].feeder));
    }
  }
  return ok_status();
}

std::array<std::string, kColumnCount> format_row(const MeterRecord& r) {
  std::array<std::string, kColumnCount> f;
  f[kKind] = meter::to_string(r.identity.kind);
  f[kSerial] = r.identity.serial;
  f[kManufacturer] = r.identity.manufacturer;
  f[kSystemTitle] = to_hex(r.identity.system_title);
  f[kCategory] = meter::to_string(r.identity.category);
  f[kSanctioned] = fmt::format("{}", r.identity.sanctioned_load_w);
  f[kFeeder] = r.feeder;
  f[kDt] = r.dt;
  f[kConsumerId] = r.consumer_id;
  f[kLlsPassword] = r.secrets.lls_password;
  f[kEk] = to_hex(r.secrets.ek);
  f[kAk] = to_hex(r.secrets.ak);
  f[kSim1] = r.sim_operator[0];
  f[kSim2] = r.sim_operator[1];
  f[kStaticIp] = r.static_ip;
  f[kSeed] = fmt::format("{}", r.identity.seed);
  return f;
}

// Splits a line at commas into `out` (views into the line).
void split(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

// Blank: nothing but spaces, tabs and commas (a spreadsheet's empty row is ",,,,").
bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t,") == std::string_view::npos;
}

// Walks text line by line (LF or CRLF), counting lines from 1.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  // The next line without its line ending, or nothing at the end of the text.
  Result<std::optional<std::string_view>> next() {
    if (pos_ >= text_.size()) return std::optional<std::string_view>();
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++number_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxFleetLineLength) {
      return line_error(number_,
                        fmt::format("{} characters; at most {}", line.size(), kMaxFleetLineLength),
                        Errc::kLimitExceeded);
    }
    return std::optional<std::string_view>(line);
  }
  std::size_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

Error io_error(const std::string& what, const std::string& path) {
  return Error(Errc::kIo, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

// Writes all of data to fd, retrying short writes and interruptions.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<std::string> write_fleet_csv(const Topology& t) {
  if (t.meters.size() > kMaxFleetMeters) {
    return Error(Errc::kLimitExceeded,
                 fmt::format("fleet has {} meters; at most {}", t.meters.size(), kMaxFleetMeters));
  }
  std::string out = fmt::format(
      "# vidyut-fleet {}\n"
      "# {} meters. Holds meter keys and passwords: keep it mode 0600, out of mail and tickets "
      "(docs/fleet-file.md).\n",
      kFleetFileVersion, t.meters.size());
  std::size_t line = 3;
  for (std::size_t c = 0; c < kColumnCount; ++c) {
    if (c > 0) out += ',';
    out += kColumnNames[c];
  }
  out += '\n';

  // Each row goes through the parser's own checks before it is written, so the writer never
  // produces a file the reader refuses.
  std::vector<std::size_t> lines;
  lines.reserve(t.meters.size());
  for (const MeterRecord& r : t.meters) {
    ++line;
    const std::array<std::string, kColumnCount> text = format_row(r);
    Fields fields;
    std::size_t length = kColumnCount - 1;
    for (std::size_t c = 0; c < kColumnCount; ++c) {
      fields[c] = text[c];
      length += text[c].size();
    }
    if (auto row = parse_row(line, fields); !row.ok()) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("{} (meter {})", row.error().message, r.identity.serial));
    }
    if (length > kMaxFleetLineLength) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("line {}: {} characters; at most {} (meter {})", line, length,
                               kMaxFleetLineLength, r.identity.serial));
    }
    for (std::size_t c = 0; c < kColumnCount; ++c) {
      if (c > 0) out += ',';
      out += text[c];
    }
    out += '\n';
    lines.push_back(line);
  }
  if (Status s = check_fleet(t.meters, lines); !s.ok()) {
    return Error(Errc::kInvalidArgument, s.error().message);
  }
  if (out.size() > kMaxFleetFileBytes) {
    return Error(Errc::kLimitExceeded, fmt::format("fleet file would be {} bytes; at most {}",
                                                   out.size(), kMaxFleetFileBytes));
  }
  return out;
}

Status write_fleet_file(const Topology& t, const std::string& path) {
  VIDYUT_TRY(text, write_fleet_csv(t));
  const std::string tmp = path + ".tmp";
  // A .tmp left by a crash is replaced; O_EXCL and O_NOFOLLOW make sure the keys go into a new
  // file of ours with mode 0600, not into whatever a stale name or a symlink points at.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove", tmp);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  auto fail = [&](const char* what) {
    Error e = io_error(what, tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  };
  if (::fchmod(fd, 0600) != 0) return fail("cannot chmod");
  if (!write_all(fd, *text)) return fail("cannot write");
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    Error e = io_error("cannot close", tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = io_error("cannot rename to " + path + ":", tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  // The rename is durable once the directory is on disk.
  const std::string dir = directory_of(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_error("cannot open directory", dir);
  const int rc = ::fsync(dfd);
  const int saved = errno;
  ::close(dfd);
  if (rc != 0) {
    errno = saved;
    return io_error("cannot fsync directory", dir);
  }
  return ok_status();
}

Result<Topology> parse_fleet_csv(std::string_view text) {
  if (text.size() > kMaxFleetFileBytes) {
    return Error(Errc::kLimitExceeded, fmt::format("fleet file is {} bytes; at most {}",
                                                   text.size(), kMaxFleetFileBytes));
  }
  constexpr std::string_view kBom = "\xEF\xBB\xBF";  // spreadsheets' "CSV UTF-8" adds one
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());

  LineReader lines(text);
  const std::string expected_first = fmt::format("{}{}", kVersionPrefix, kFleetFileVersion);
  {
    VIDYUT_TRY(first, lines.next());
    if (!*first) {
      return line_error(1, fmt::format("empty file; expected '{}'", expected_first));
    }
    std::string_view v = **first;
    if (!v.starts_with(kVersionPrefix)) {
      return line_error(1, fmt::format("expected '{}' (is this a fleet file?)", expected_first));
    }
    v.remove_prefix(kVersionPrefix.size());
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    int version = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
      return line_error(1,
                        fmt::format("bad format version '{}'; expected '{}'", v, expected_first));
    }
    if (version != kFleetFileVersion) {
      return line_error(1,
                        fmt::format("fleet file format version {}; this Vidyut reads only "
                                    "version {}",
                                    version, kFleetFileVersion),
                        Errc::kUnsupported);
    }
  }

  // Header: the first line after the version that is neither blank nor a comment.
  std::vector<std::string_view> header;
  std::size_t header_line = 0;
  for (;;) {
    VIDYUT_TRY(next, lines.next());
    if (!*next) return line_error(lines.number() + 1, "no header line (kind,serial,...)");
    if (is_blank(**next) || (**next).starts_with('#')) continue;
    header_line = lines.number();
    split(**next, header);
    break;
  }
  std::array<std::size_t, kColumnCount> index;
  index.fill(SIZE_MAX);
  for (std::size_t h = 0; h < header.size(); ++h) {
    for (std::size_t c = 0; c < kColumnCount; ++c) {
      if (header[h] != kColumnNames[c]) continue;
      if (index[c] != SIZE_MAX) {
        return field_error(header_line, static_cast<Col>(c), "column appears twice in the header");
      }
      index[c] = h;
    }
  }
  std::vector<std::string_view> missing;
  for (std::size_t c = 0; c < kColumnCount; ++c) {
    if (index[c] == SIZE_MAX) missing.push_back(kColumnNames[c]);
  }
  if (missing.size() == 1) {
    return Error(Errc::kMalformed, fmt::format("line {}, column {}: required column missing",
                                               header_line, missing[0]));
  }
  if (!missing.empty()) {
    return Error(Errc::kMalformed, fmt::format("line {}, columns {}: required columns missing",
                                               header_line, fmt::join(missing, ", ")));
  }

  std::vector<MeterRecord> meters;
  std::vector<std::size_t> row_lines;
  std::vector<std::string_view> fields;
  Fields picked;
  for (;;) {
    VIDYUT_TRY(next, lines.next());
    if (!*next) break;
    const std::string_view line = **next;
    if (is_blank(line) || line.starts_with('#')) continue;
    const std::size_t n = lines.number();
    if (meters.size() == kMaxFleetMeters) {
      return line_error(n, fmt::format("more than {} meters", kMaxFleetMeters),
                        Errc::kLimitExceeded);
    }
    split(line, fields);
    if (fields.size() != header.size()) {
      return line_error(n, fmt::format("{} fields; the header (line {}) has {}", fields.size(),
                                       header_line, header.size()));
    }
    for (std::size_t c = 0; c < kColumnCount; ++c) picked[c] = fields[index[c]];
    VIDYUT_TRY(record, parse_row(n, picked));
    meters.push_back(std::move(record).value());
    row_lines.push_back(n);
  }

  VIDYUT_CHECK(check_fleet(meters, row_lines));
  auto linked = link(std::move(meters));
  if (!linked.ok()) {
    // check_fleet checks what link() does; this is a fallback that cannot name a line.
    return Error(Errc::kMalformed, fmt::format("fleet file: {}", linked.error().message));
  }
  return linked;
}

Result<Topology> read_fleet_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Error e = io_error("cannot stat", path);
    ::close(fd);
    return e;
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxFleetFileBytes) {
    ::close(fd);
    return Error(Errc::kLimitExceeded, fmt::format("fleet file {} is {} bytes; at most {}", path,
                                                   st.st_size, kMaxFleetFileBytes));
  }
  if ((st.st_mode & 0077) != 0) {
    logger("fleet")->warn(
        "fleet file {} holds meter keys but is mode {:04o}; make it 0600 (chmod 600)", path,
        st.st_mode & 07777);
  }
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = io_error("cannot read", path);
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFleetFileBytes) {  // grew while being read
      ::close(fd);
      return Error(Errc::kLimitExceeded,
                   fmt::format("fleet file {} is over {} bytes", path, kMaxFleetFileBytes));
    }
  }
  ::close(fd);
  auto t = parse_fleet_csv(text);
  if (!t.ok()) return Error(t.error().code, fmt::format("{}: {}", path, t.error().message));
  return t;
}

}  // namespace vidyut::fleet
