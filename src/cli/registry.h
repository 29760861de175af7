// The fleet file's meters as the head end's registry stores them (shared by `registry import`
// and `demo`).
#pragma once

#include <utility>

#include "fleet/topology.h"
#include "store/store.h"

namespace vidyut::cli {

std::pair<store::MeterInfo, store::MeterSecrets> to_registry(const fleet::MeterRecord& r);

}  // namespace vidyut::cli
