// The MDM's command port onto a head end in this process (as HeadEndRelayPort is billing's):
// commands start at once when the meter is connected; states are read back from the store.
#pragma once

#include "headend/head_end.h"
#include "mdm/load_control.h"
#include "store/store.h"

namespace vidyut::cli {

class HeadEndCommandPort final : public mdm::CommandPort {
 public:
  HeadEndCommandPort(headend::HeadEnd& he, store::Store& store) : he_(he), store_(store) {}
  Result<store::Command> submit(store::Command c) override { return he_.submit(std::move(c)); }
  Result<std::optional<store::Command>> command(std::int64_t id) override {
    return store_.command(id);
  }

 private:
  headend::HeadEnd& he_;
  store::Store& store_;
};

}  // namespace vidyut::cli
