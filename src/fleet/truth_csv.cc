#include "fleet/truth_csv.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include <fmt/format.h>

#include "core/log.h"

namespace vidyut::fleet {
namespace {

// A file's buffer is written out once it holds this much (about 15,000 interval rows).
constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

// planned_end_ entries: no start row seen for that id.
constexpr std::int64_t kNoEpisode = std::numeric_limits<std::int64_t>::min();
// Episode ids are dense from 0; one further ahead than this is not remembered (the end row then
// shows the end the episode has at that time).
constexpr std::size_t kMaxEpisodeIdGap = 1 << 20;

constexpr std::string_view kIntervalsHeader =
    "serial,kind,interval_start,true_wh,recorded_wh,theft_wh,supplied_s,relay\n";
constexpr std::string_view kEpisodesHeader =
    "id,kind,target,event,at,planned_end,watts,origin,share_ppm\n";
constexpr std::string_view kPushesHeader = "serial,type,at,interval,fate,sim\n";
constexpr std::string_view kRelayHeader = "serial,at,state,cause\n";
constexpr std::string_view kFailoversHeader = "serial,at,to_sim\n";
constexpr std::string_view kClockHeader = "serial,at,cause,offset_before_s,offset_s\n";
constexpr std::string_view kTokensHeader =
    "serial,at,result,sequence,amount_rupees,issued_day,relay\n";

void append_uint(std::string& b, std::uint64_t v) {
  char tmp[24];
  auto [p, ec] = std::to_chars(tmp, tmp + sizeof tmp, v);
  (void)ec;  // 24 characters hold any 64-bit value
  b.append(tmp, static_cast<std::size_t>(p - tmp));
}

// v / 1000 with exactly three decimals, digit for digit: 12345 -> "12.345", -5 -> "-0.005".
void append_milli(std::string& b, std::int64_t v) {
  // Unsigned magnitude, so that INT64_MIN has one too.
  const std::uint64_t mag =
      v < 0 ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v);
  if (v < 0) b.push_back('-');
  append_uint(b, mag / 1000);
  const auto frac = static_cast<unsigned>(mag % 1000);
  b.push_back('.');
  b.push_back(static_cast<char>('0' + frac / 100));
  b.push_back(static_cast<char>('0' + frac / 10 % 10));
  b.push_back(static_cast<char>('0' + frac % 10));
}

// A text field, quoted (RFC 4180) only when it holds a comma, a quote or a line break.
void append_text(std::string& b, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    b.append(s);
    return;
  }
  b.push_back('"');
  for (char c : s) {
    if (c == '"') b.push_back('"');
    b.push_back(c);
  }
  b.push_back('"');
}

}  // namespace

const std::string& CsvTruthWriter::TimeText::get(UtcTime t) {
  const std::int64_t s = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  if (!valid || s != second) {
    text = format_iso8601(t);
    second = s;
    valid = true;
  }
  return text;
}

CsvTruthWriter::CsvTruthWriter(const Topology& topology, std::string dir) : dir_(std::move(dir)) {
  const std::size_t n = topology.meters.size();
  prefix_at_.reserve(n + 1);
  serial_len_.reserve(n);
  prefixes_.reserve(n * 24);
  for (const MeterRecord& rec : topology.meters) {
    prefix_at_.push_back(static_cast<std::uint32_t>(prefixes_.size()));
    append_text(prefixes_, rec.identity.serial);
    serial_len_.push_back(static_cast<std::uint16_t>(prefixes_.size() - prefix_at_.back()));
    prefixes_.push_back(',');
    prefixes_.append(meter::to_string(rec.identity.kind));
  }
  prefix_at_.push_back(static_cast<std::uint32_t>(prefixes_.size()));
}

Result<std::unique_ptr<CsvTruthWriter>> CsvTruthWriter::open(const Topology& topology,
                                                             const std::string& dir) {
  if (dir.empty()) return Error(Errc::kInvalidArgument, "truth directory: empty path");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error(Errc::kIo, fmt::format("cannot create truth directory {}: {}", dir, ec.message()));
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error(Errc::kIo, fmt::format("cannot create truth directory {}: {}", dir,
                                        ec ? ec.message() : std::string("not a directory")));
  }
  std::unique_ptr<CsvTruthWriter> w(new CsvTruthWriter(topology, dir));
  VIDYUT_CHECK(w->open_files());
  return w;
}

Status CsvTruthWriter::open_files() {
  const std::pair<File*, std::pair<std::string_view, std::string_view>> files[] = {
      {&intervals_, {kTruthIntervalsFile, kIntervalsHeader}},
      {&episodes_, {kTruthEpisodesFile, kEpisodesHeader}},
      {&pushes_, {kTruthPushesFile, kPushesHeader}},
      {&relays_, {kTruthRelayFile, kRelayHeader}},
      {&failovers_, {kTruthFailoversFile, kFailoversHeader}},
      {&tokens_, {kTruthTokensFile, kTokensHeader}},
      {&clocks_, {kTruthClockFile, kClockHeader}},
  };
  for (const auto& [file, what] : files) {
    file->path = (std::filesystem::path(dir_) / what.first).string();
    file->f = std::fopen(file->path.c_str(), "wb");
    if (file->f == nullptr) {
      return Error(Errc::kIo,
                   fmt::format("cannot create {}: {}", file->path, std::strerror(errno)));
    }
    // Rows are gathered in our own buffer and written in large blocks.
    std::setvbuf(file->f, nullptr, _IONBF, 0);
    file->buf.reserve(kBufferBytes + 4096);
    file->buf.append(what.second);
    bytes_ += what.second.size();
  }
  // Headers reach the disk at once: a run that dies early still leaves well-formed files.
  return flush();
}

CsvTruthWriter::~CsvTruthWriter() {
  const Status s = close();
  if (!s.ok()) logger("fleet.truth")->warn("truth files: {}", s.error().describe());
}

void CsvTruthWriter::fail(File& file, const char* what, int err) {
  file.failed = true;
  file.buf.clear();
  if (!error_) {
    error_ = Error(Errc::kIo, fmt::format("cannot {} {}: {}", what, file.path,
                                          err ? std::strerror(err) : "unknown error"));
    logger("fleet.truth")->error("{}; its later rows are dropped", error_->describe());
  }
}

void CsvTruthWriter::drain(File& file) {
  if (file.f == nullptr || file.failed || file.buf.empty()) {
    file.buf.clear();
    return;
  }
  errno = 0;
  const std::size_t n = std::fwrite(file.buf.data(), 1, file.buf.size(), file.f);
  if (n != file.buf.size()) {
    fail(file, "write", errno);
    return;
  }
  file.buf.clear();
}

void CsvTruthWriter::end_row(File& file, std::uint64_t& counter) {
  file.buf.push_back('\n');
  ++counter;
  if (file.buf.size() >= kBufferBytes) drain(file);
}

void CsvTruthWriter::append_meter(std::string& row, std::uint32_t m, bool with_kind) const {
  if (m >= serial_len_.size()) {  // not in the topology: a bug upstream, kept visible
    row.push_back('#');
    append_uint(row, m);
    if (with_kind) row.append(",unknown");
    return;
  }
  const std::size_t len = with_kind ? prefix_at_[m + 1] - prefix_at_[m] : serial_len_[m];
  row.append(prefixes_, prefix_at_[m], len);
}

Status CsvTruthWriter::flush() {
  for (File* file :
       {&intervals_, &episodes_, &pushes_, &relays_, &failovers_, &tokens_, &clocks_}) {
    drain(*file);
    if (file->f != nullptr && !file->failed && std::fflush(file->f) != 0) {
      fail(*file, "flush", errno);
    }
  }
  if (error_) return *error_;
  return ok_status();
}

Status CsvTruthWriter::close() {
  if (closed_) return error_ ? Status(*error_) : ok_status();
  Status s = flush();
  for (File* file :
       {&intervals_, &episodes_, &pushes_, &relays_, &failovers_, &tokens_, &clocks_}) {
    if (file->f == nullptr) continue;
    if (std::fclose(file->f) != 0 && !file->failed) fail(*file, "close", errno);
    file->f = nullptr;
    file->failed = true;  // later rows are dropped
  }
  closed_ = true;
  if (error_) return *error_;
  return s;
}

// ---- rows -------------------------------------------------------------------------------------

void CsvTruthWriter::on_interval(const IntervalTruth& t) {
  File& f = intervals_;
  if (f.failed) return;
  const std::size_t before = f.buf.size();
  std::string& b = f.buf;
  append_meter(b, t.meter, true);
  b.push_back(',');
  b.append(interval_time_.get(t.start));
  b.push_back(',');
  append_milli(b, t.true_mwh);
  b.push_back(',');
  append_milli(b, t.recorded_mwh);
  b.push_back(',');
  append_milli(b, t.theft_mwh);
  b.push_back(',');
  append_milli(b, t.supplied_ms);
  b.append(t.relay_closed ? ",closed" : ",open");
  bytes_ += b.size() - before + 1;
  end_row(f, counts_.intervals);
}

void CsvTruthWriter::on_episode(const Episode& e, bool started, UtcTime at) {
  File& f = episodes_;
  if (f.failed) return;
  const std::size_t before = f.buf.size();
  std::string& b = f.buf;
  append_uint(b, e.id);
  b.push_back(',');
  b.append(to_string(e.kind));
  b.push_back(',');
  append_text(b, e.target);
  b.append(started ? ",start," : ",end,");
  b.append(at_time_.get(at));
  b.push_back(',');
  UtcTime planned = e.end;  // the fleet sets it to the actual end when the episode ends
  if (started) {
    if (e.id < planned_end_.size() + kMaxEpisodeIdGap) {
      if (e.id >= planned_end_.size()) planned_end_.resize(std::size_t{e.id} + 1, kNoEpisode);
      planned_end_[e.id] = e.end.time_since_epoch().count();
    }
  } else if (e.id < planned_end_.size() && planned_end_[e.id] != kNoEpisode) {
    planned = UtcTime(Millis(planned_end_[e.id]));
  }
  if (planned != kOpenEnd) b.append(format_iso8601(planned));
  b.push_back(',');
  append_uint(b, e.watts);
  b.append(e.scheduled ? ",scheduled," : ",control,");
  append_uint(b, e.share_ppm);
  bytes_ += b.size() - before + 1;
  end_row(f, counts_.episodes);
}

void CsvTruthWriter::on_push(std::uint32_t meter, Outgoing::Kind kind, UtcTime at, UtcTime interval,
                             PushFate fate, std::uint8_t sim) {
  File& f = pushes_;
  if (f.failed) return;
  const std::size_t before = f.buf.size();
  std::string& b = f.buf;
  append_meter(b, meter, false);
  b.append(kind == Outgoing::Kind::kAlert ? ",alert," : ",block-load,");
  b.append(at_time_.get(at));
  b.push_back(',');
  b.append(interval_time_.get(interval));
  b.push_back(',');
  b.append(to_string(fate));
  b.append(sim == 0 ? ",1" : ",2");
  bytes_ += b.size() - before + 1;
  end_row(f, counts_.pushes);
}

void CsvTruthWriter::on_relay(std::uint32_t meter, UtcTime at, bool connected,
                              std::string_view cause) {
  File& f = relays_;
  if (f.failed) return;
  const std::size_t before = f.buf.size();
  std::string& b = f.buf;
  append_meter(b, meter, false);
  b.push_back(',');
  b.append(at_time_.get(at));
  b.append(connected ? ",closed," : ",open,");
  append_text(b, cause);
  bytes_ += b.size() - before + 1;
  end_row(f, counts_.relays);
}

void CsvTruthWriter::on_failover(std::uint32_t meter, UtcTime at, std::uint8_t to_sim) {
  File& f = failovers_;
  if (f.failed) return;
  const std::size_t before = f.buf.size();
  std::string& b = f.buf;
  append_meter(b, meter, false);
  b.push_back(',');
  b.append(at_time_.get(at));
  b.append(to_sim == 0 ? ",1" : ",2");
  bytes_ += b.size() - before + 1;
  end_row(f, counts_.failovers);
}

void CsvTruthWriter::on_token(const TokenTruth& t) {
  File& f = tokens_;
  if (f.failed) return;
  const std::size_t before = f.buf.size();
  std::string& b = f.buf;
  append_meter(b, t.meter, false);
  b.push_back(',');
  b.append(at_time_.get(t.at));
  b.push_back(',');
  append_text(b, t.result);
  b.push_back(',');
  if (t.fields) {
    append_uint(b, t.fields->sequence);
    b.push_back(',');
    append_uint(b, t.fields->amount_rupees);
    b.push_back(',');
    const std::chrono::year_month_day d{
        std::chrono::sys_days{std::chrono::days{t.fields->issued_day}}};
    b.append(fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(d.year()),
                         static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day())));
  } else {
    b.append(",,");
  }
  b.append(t.relay_closed ? ",closed" : ",unchanged");
  bytes_ += b.size() - before + 1;
  end_row(f, counts_.tokens);
}

void CsvTruthWriter::on_clock(const ClockTruth& t) {
  File& f = clocks_;
  if (f.failed) return;
  const std::size_t before = f.buf.size();
  std::string& b = f.buf;
  append_meter(b, t.meter, false);
  b.push_back(',');
  b.append(at_time_.get(t.at));
  b.push_back(',');
  append_text(b, t.cause);
  b.push_back(',');
  append_milli(b, t.offset_before.count());
  b.push_back(',');
  append_milli(b, t.offset_after.count());
  bytes_ += b.size() - before + 1;
  end_row(f, counts_.clocks);
}

}  // namespace vidyut::fleet
