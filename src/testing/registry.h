// A fleet-file meter as the head end's registry stores it: shared by `vidyut registry import`,
// `vidyut demo` and the tests that run a simulated fleet against a head end.
#pragma once

#include <utility>

#include "fleet/topology.h"
#include "store/store.h"

namespace vidyut::testing {

std::pair<store::MeterInfo, store::MeterSecrets> to_registry(const fleet::MeterRecord& r);

}  // namespace vidyut::testing
