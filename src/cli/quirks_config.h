// The meter quirks file (docs/meter-quirks.md): which known deviations from the standard to
// accept from meters of each manufacturer. Read by `vidyut serve --quirks FILE` (the head end)
// and `vidyut dlms read/action --quirks FILE --manufacturer XYZ` (the field tool).
//
//   {"manufacturers": {"XYZ": ["repeated-header-in-empty-last-block", "empty-array-twice"]}}
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/result.h"
#include "dlms/session/quirks.h"

namespace vidyut::cli {

// Manufacturer code -> quirks. kInvalidArgument names what is wrong (unknown quirk, bad shape).
Result<std::map<std::string, dlms::QuirkSet>> parse_quirks_config(std::string_view json);
Result<std::map<std::string, dlms::QuirkSet>> load_quirks_config(const std::string& path);

}  // namespace vidyut::cli
