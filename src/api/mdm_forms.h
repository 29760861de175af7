// JSON forms of the MDM's reports - energy audit, reliability indices, transformer loading, theft
// findings and theft cases - shared by the control room's routes and `vidyut mdm ... --json`, so a
// figure reads the same wherever it is shown (docs/api.md, "Resources").
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "mdm/audit.h"
#include "mdm/cases.h"
#include "mdm/load_control.h"
#include "mdm/loading.h"
#include "mdm/reliability.h"
#include "mdm/theft.h"

namespace vidyut::api {

// {from, to, area, feeders, dts, unplaced_consumers}; DTs and feeders in the network's order.
nlohmann::json audit_json(const mdm::AuditReport& r);
nlohmann::json reliability_json(const mdm::ReliabilityIndices& x);
// {from, to, feeders, area}
nlohmann::json reliability_json(const mdm::ReliabilityReport& r);
// {from, to, dts (highest peak loading first), dts_without_rating}
nlohmann::json loading_json(const mdm::LoadingReport& r);
// {day, model, flagged, dts}: the flagged DTs (every DT assessed or not when `all`).
nlohmann::json theft_json(const mdm::TheftReport& r, bool all);
nlohmann::json case_json(const mdm::TheftCase& c);
nlohmann::json trail_json(const std::vector<mdm::CaseEvent>& trail);
// An area load-control action with how far its commands have got.
nlohmann::json load_action_json(const mdm::LoadAction& a, const mdm::LoadActionProgress& p);

}  // namespace vidyut::api
