// CsvTruthWriter: the fleet simulator's ground truth as CSV files in one directory, one file per
// kind of record, each starting with a header line:
//
//   intervals.csv  serial,kind,interval_start,true_wh,recorded_wh,theft_wh,supplied_s,relay
//   episodes.csv   id,kind,target,event,at,planned_end,watts,origin,share_ppm
//   pushes.csv     serial,type,at,interval,fate,sim
//   relay.csv      serial,at,state,cause
//   failovers.csv  serial,at,to_sim
//   tokens.csv     serial,at,result,sequence,amount_rupees,issued_day,relay
//   clock.csv      serial,at,cause,offset_before_s,offset_s
//
// Values: serial and kind (single-phase, three-phase, dt, feeder) come from the topology; times
// are ISO 8601 UTC to the second (format_iso8601); energies are Wh with exactly three decimals,
// the fleet's milli-watt-hour integers written digit for digit (12345 mWh is "12.345"), and
// supplied_s is seconds with three decimals the same way; relay and state are closed|open
// (tokens.csv: relay is closed when the token closed an open relay, else unchanged);
// event is start|end; planned_end is the end the episode had when it started (on both of its
// rows, so an end row whose `at` is earlier was ended early by a command), empty for an
// open-ended episode; watts is the stolen load (tamper thefts, hook), else 0; share_ppm is the
// share of the consumer's load a silent-bypass episode routes around his meter, in parts per
// million (else 0); origin is scheduled|control; type is block-load|alert; fate is
// to_string(PushFate); sim and to_sim are 1|2; a token's result is Fleet::TokenOutcome::reason
// (accepted, wrong-token, already-used, too-old, locked-out, malformed, no-supply, ...), its
// sequence, amount_rupees and issued_day (YYYY-MM-DD, IST) are empty when the token did not
// authenticate. clock.csv has a row per change of a meter's clock against true time: cause is
// initial|drift|step|set (ClockTruth), offset_before_s and offset_s are the meter's clock minus
// true time before and after, in seconds with three decimals. A text field holding a comma, double
// quote or line break (never the case for a generated fleet or a valid fleet file) is quoted as RFC
// 4180 says.
//
// Writes are buffered (about 1 MiB per file, written with one fwrite when full): a fleet of
// 100,000 meters adds 100,000 interval rows per capture period. Nothing throws on the data path:
// the first write error is kept, that file stops taking rows, and flush()/close() return it.
//
// Thread-safety: none; the fleet calls its sink from the thread that drives it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "fleet/fleet.h"
#include "fleet/topology.h"

namespace vidyut::fleet {

// File names inside the truth directory.
inline constexpr std::string_view kTruthIntervalsFile = "intervals.csv";
inline constexpr std::string_view kTruthEpisodesFile = "episodes.csv";
inline constexpr std::string_view kTruthPushesFile = "pushes.csv";
inline constexpr std::string_view kTruthRelayFile = "relay.csv";
inline constexpr std::string_view kTruthFailoversFile = "failovers.csv";
inline constexpr std::string_view kTruthTokensFile = "tokens.csv";
inline constexpr std::string_view kTruthClockFile = "clock.csv";

// Rows written (accepted into the buffer) per file, header lines not counted.
struct TruthCounts {
  std::uint64_t intervals = 0;
  std::uint64_t episodes = 0;
  std::uint64_t pushes = 0;
  std::uint64_t relays = 0;
  std::uint64_t failovers = 0;
  std::uint64_t tokens = 0;
  std::uint64_t clocks = 0;
};

class CsvTruthWriter final : public TruthSink {
 public:
  // Creates `dir` (and its parents) when missing and creates, or truncates, the seven files in it
  // with their header lines. kIo naming the path when the directory or a file cannot be
  // created; kInvalidArgument for an empty path. Serials and kinds are copied from `topology`,
  // which need not outlive the writer.
  static Result<std::unique_ptr<CsvTruthWriter>> open(const Topology& topology,
                                                      const std::string& dir);

  // Flushes and closes (errors are logged, see close()).
  ~CsvTruthWriter() override;
  CsvTruthWriter(const CsvTruthWriter&) = delete;
  CsvTruthWriter& operator=(const CsvTruthWriter&) = delete;

  // ---- TruthSink ------------------------------------------------------------------------------
  void on_interval(const IntervalTruth& t) override;
  void on_episode(const Episode& e, bool started, UtcTime at) override;
  void on_push(std::uint32_t meter, Outgoing::Kind kind, UtcTime at, UtcTime interval,
               PushFate fate, std::uint8_t sim) override;
  void on_relay(std::uint32_t meter, UtcTime at, bool connected, std::string_view cause) override;
  void on_failover(std::uint32_t meter, UtcTime at, std::uint8_t to_sim) override;
  void on_token(const TokenTruth& t) override;
  void on_clock(const ClockTruth& t) override;

  // Writes every buffered row to the files and flushes them to the operating system. Returns
  // the first write error seen since open (kIo naming the file), if any.
  Status flush();
  // flush(), then closes the files; later rows are dropped. Returns the first error seen.
  Status close();

  const std::string& dir() const { return dir_; }
  const TruthCounts& counts() const { return counts_; }
  std::uint64_t intervals_written() const { return counts_.intervals; }
  std::uint64_t episodes_written() const { return counts_.episodes; }
  std::uint64_t pushes_written() const { return counts_.pushes; }
  std::uint64_t relays_written() const { return counts_.relays; }
  std::uint64_t failovers_written() const { return counts_.failovers; }
  std::uint64_t tokens_written() const { return counts_.tokens; }
  // Bytes handed to the files so far (written or buffered), headers included.
  std::uint64_t bytes_written() const { return bytes_; }

 private:
  struct File {
    std::FILE* f = nullptr;
    std::string path;
    std::string buf;
    bool failed = false;
  };
  // Formats a time once per distinct second (a fleet writes many rows with the same times).
  struct TimeText {
    std::int64_t second = 0;
    bool valid = false;
    std::string text;
    const std::string& get(UtcTime t);
  };

  CsvTruthWriter(const Topology& topology, std::string dir);
  Status open_files();
  // Appends the serial of meter m (and with_kind: ",kind") to the row being built.
  void append_meter(std::string& row, std::uint32_t m, bool with_kind) const;
  // Ends the row being built at the end of `file.buf`, counts it in `counter` and writes the
  // buffer out when full.
  void end_row(File& file, std::uint64_t& counter);
  void drain(File& file);
  void fail(File& file, const char* what, int err);

  std::string dir_;
  // Per meter "serial,kind" (quoted where needed), concatenated; prefix_at_[m] is where meter
  // m's entry starts, serial_len_[m] how long its serial field is.
  std::string prefixes_;
  std::vector<std::uint32_t> prefix_at_;
  std::vector<std::uint16_t> serial_len_;
  File intervals_, episodes_, pushes_, relays_, failovers_, tokens_, clocks_;
  TimeText interval_time_, at_time_;
  // Planned end (ms since the epoch) of each episode id seen starting; kNoEpisode otherwise.
  std::vector<std::int64_t> planned_end_;
  TruthCounts counts_;
  std::uint64_t bytes_ = 0;
  std::optional<Error> error_;
  bool closed_ = false;
};

}  // namespace vidyut::fleet
