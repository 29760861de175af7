// The tariff file: a Tariff as JSON, the form operators write and ship (tariffs/*.json).
// docs/tariffs.md describes the format field by field; this header is the code's contract.
//
//   {
//     "format": "vidyut-tariff 1",
//     "code": "UP-LMV1-URBAN", "name": "...", "category": "domestic", "utility": "UPPCL",
//     "notes": "provenance and confidence of the figures",
//     "versions": [{
//       "effective_from": "2022-04-01", "order": "UPERC tariff order FY 2022-23",
//       "slabs": [{"upto_kwh": 100, "rate_paise_per_kwh": 550}, ..., {"rate_paise_per_kwh": 650}],
//       "fixed_paise_per_kw_month": 11000, "duty_bp": 500, "prepaid_rebate_bp": 200,
//       "excess_demand_paise_per_kw": 0,
//       "tod": [{"name": "winter", "months": [11, 12, 1, 2], "blocks": [
//         {"name": "solar", "start": "09:00", "end": "17:00", "multiplier_bp": 7500}]}]
//     }]
//   }
//
// Every number is a JSON integer in the unit its key names (paise, basis points, kWh or Wh):
// no decimals, no rupee strings, no floating point. Times are IST "HH:MM" ("24:00" only as an
// end), dates "YYYY-MM-DD". A slab bound is "upto_kwh" (whole kWh) or "upto_wh"; the last slab
// has neither. "notes" and "tod" are optional; every other field is required, and an unknown
// or repeated field is an error (a misspelt "duty_bp" must not silently mean no duty).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tariff/tariff.h"

namespace vidyut::tariff {

// The value of "format" this code reads and writes.
inline constexpr std::string_view kTariffFormat = "vidyut-tariff 1";
// Largest tariff file accepted: a tariff with dozens of versions is a few tens of KiB; a file
// larger than this is not a tariff.
inline constexpr std::size_t kMaxTariffFileBytes = 1 << 20;

// Parses tariff file text and runs validate(). kInvalidArgument naming the field by its path
// ("versions[0].slabs[2].rate_paise_per_kwh: expected an integer") or, for a rule across
// fields, the tariff, version, slab, season or block (validate()'s message). Never throws.
Result<Tariff> parse_tariff(std::string_view json);

// The tariff as tariff file text (two-space indented, keys in the order above, ending in a
// newline). parse_tariff(to_json(t)) == t for every t that validate() accepts.
std::string to_json(const Tariff& tariff);

// Reads and parses a tariff file. kIo when it cannot be read; kLimitExceeded when larger than
// kMaxTariffFileBytes; the errors of parse_tariff otherwise, prefixed with the path.
Result<Tariff> read_tariff_file(const std::string& path);

// A shipped tariff file as compiled into the binary: its name in tariffs/ and its exact text.
struct BuiltinTariffFile {
  std::string_view name;  // "up-lmv1-urban.json"
  std::string_view text;
};
// Every file of the source tree's tariffs/ folder, sorted by name. The build embeds the files
// themselves (src/tariff/CMakeLists.txt), so the catalogue and the folder cannot differ.
const std::vector<BuiltinTariffFile>& builtin_tariff_files();

// The built-in catalogue: builtin_tariff_files() parsed, in the same order. A file that does
// not parse is left out (tariff_file_test.cc proves every shipped file parses).
const std::vector<Tariff>& builtin_tariffs();

// The tariff with `code` (an exact match first, then ignoring ASCII case). kNotFound naming the
// codes that exist.
Result<Tariff> find_tariff(std::string_view code, const std::vector<Tariff>& tariffs);

}  // namespace vidyut::tariff
