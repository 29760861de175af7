// The supply network as the registry knows it: feeders, the DTs on each feeder, the consumers on
// each DT, and the meter that measures each of them. Built from the store's registry; the energy
// audit (audit.h) walks it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace vidyut::mdm {

struct DtNode {
  std::string name;
  std::size_t feeder = 0;     // index into Network::feeders
  std::int64_t meter_id = 0;  // the DT meter; 0 when the registry has none
  // Nameplate rating in VA: the DT meter's sanctioned_load_w in the registry (fleet-file.md);
  // 0 when unknown.
  std::uint32_t rating_va = 0;
  std::vector<std::int64_t> consumers;  // consumer meters, ascending ids
};

struct FeederNode {
  std::string name;
  std::int64_t meter_id = 0;  // the feeder meter; 0 when the registry has none
  std::vector<std::size_t> dts;
};

struct Network {
  std::vector<FeederNode> feeders;  // by name
  std::vector<DtNode> dts;          // by name
  // Consumer meters the registry puts on no DT, or on a DT of another feeder than their own:
  // they are left out of every balance and listed so that the registry can be corrected.
  std::vector<std::int64_t> unplaced;
  std::size_t consumers = 0;
};

// The network of `meters` (registry rows). Consumer meters are those with a consumer id; a DT
// meter has a DT name and no consumer id; a feeder meter has neither. Feeders and DTs are
// named by their meters and their consumers; a DT or feeder may have no meter of its own.
Network build_network(const std::vector<store::MeterInfo>& meters);

// The whole registry, read page by page.
Result<std::vector<store::MeterInfo>> all_meters(store::Store& store);

}  // namespace vidyut::mdm
