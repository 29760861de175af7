// The fleet file: the CSV file that carries a fleet - the simulator's generated topology or a
// utility's real fleet - to the head end. docs/fleet-file.md is the operator's description of
// the format; this header is the code's.
//
//   # vidyut-fleet 1
//   kind,serial,manufacturer,system_title,category,sanctioned_load_w,feeder,dt,consumer_id,...
//   feeder,00000001,VDY,5644590000000001,commercial,5000000,F0001,,,...
//
// Line 1 names the format version. The next line that is neither blank nor a comment ('#') is
// the header; columns are found by name, so their order may vary and unknown columns are
// ignored. Every following non-blank, non-comment line is one meter. Fields are plain text: no
// field may hold a comma, a double quote or a line break (the writer refuses such values, so no
// quoting is ever needed). Every error names the line and, where there is one, the column:
// "line 17, column ek: expected 32 hex digits".
//
// The file holds every meter's keys and LLS password: write_fleet_file creates it with mode
// 0600.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "fleet/topology.h"

namespace vidyut::fleet {

// Format version this code writes and the only one it reads (line 1: "# vidyut-fleet 1").
inline constexpr int kFleetFileVersion = 1;
// Longest line accepted: a row of this format is about 220 bytes; 1 KiB leaves room for extra
// columns a utility's tools add, and bounds what one broken line (no newline) costs to reject.
inline constexpr std::size_t kMaxFleetLineLength = 1024;
// Largest file accepted: kMaxFleetMeters rows of about 250 bytes is 500 MB; twice that leaves
// room for comments and extra columns while refusing a runaway file before it is read.
inline constexpr std::size_t kMaxFleetFileBytes = std::size_t{kMaxFleetMeters} * 500;
// Longest feeder, DT, consumer id or SIM operator name: longer is a column mix-up, not a name.
inline constexpr std::size_t kMaxFleetNameLength = 64;

// The fleet as fleet file text. Fails (kInvalidArgument, naming the line the meter would be on
// and the column) when a meter holds a value the file cannot carry or the parser would refuse:
// a comma, quote or line break in a field, a bad serial, a DT without a feeder meter, ...
// Everything this returns, parse_fleet_csv reads back to the same topology.
Result<std::string> write_fleet_csv(const Topology& t);

// Writes the fleet file atomically: to path + ".tmp" (created fresh, mode 0600), fsync, rename
// over path, fsync the directory. A crash leaves either the old file or the new one, never half
// of one. kIo when the file system fails; the errors of write_fleet_csv otherwise.
Status write_fleet_file(const Topology& t, const std::string& path);

// Parses fleet file text and rebuilds the topology with link(): feeder meters define feeders,
// DT meters define DTs, consumer meters reference both. Errors: kUnsupported for another format
// version; kLimitExceeded past the limits above or kMaxFleetMeters rows; kMalformed for
// everything else (bad field, missing column, duplicate serial, consumer under a DT with no DT
// meter, ...). Identity fields the file does not carry (manufacturer name, firmware version,
// current rating, year of manufacture) are derived as generate() derives them.
Result<Topology> parse_fleet_csv(std::string_view text);

// Reads and parses a fleet file. kIo when it cannot be read; kLimitExceeded when it is larger
// than kMaxFleetFileBytes (checked before reading).
Result<Topology> read_fleet_file(const std::string& path);

}  // namespace vidyut::fleet
