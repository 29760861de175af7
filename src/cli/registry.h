// The fleet file's meters as the head end's registry stores them (shared by `registry import`
// and `demo`): the conversion lives in src/testing/registry.h, beside the tests that use it.
#pragma once

#include "testing/registry.h"

namespace vidyut::cli {

using testing::to_registry;

}  // namespace vidyut::cli
