// The theft-case desk (docs/mdm.md, "Theft cases"): what an operator does with a case, from the
// CLI or the control room, each step recorded twice - in the case's own trail (cases.h) and in
// the store's audit trail with its actor (theft-case-open, -confirm, -dismiss, -note).
//
// Opening a case records as its evidence what the MDM's theft detection says of that meter on
// that DT-day (the DT's unexplained loss, the suspect's place and reasons), so that the case
// keeps its grounds even after the data are corrected.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/cases.h"
#include "store/store.h"
#include "tariff/calendar.h"

namespace vidyut::mdm {

// What the MDM says of this consumer meter on that DT-day, as a case to open (id and state
// unset). kNotFound for an unknown serial; kInvalidArgument for a meter that is not a consumer
// meter on a DT.
Result<TheftCase> case_from_finding(store::Store& store, const std::string& serial,
                                    tariff::CivilDate day);

class CaseDesk {
 public:
  // All three outlive the desk.
  CaseDesk(CaseBook& book, store::Store& store, const Clock& clock)
      : book_(book), store_(store), clock_(clock) {}

  // Opens a case (or returns the meter's open case for that DT-day, unchanged, with created
  // false; nothing is audited then).
  Result<CaseBook::Opened> open(const std::string& serial, tariff::CivilDate day,
                                const std::string& actor, const std::string& note);
  // Closes an open case as confirmed or dismissed (a note is required).
  Result<TheftCase> close(std::int64_t id, CaseState to, const std::string& actor,
                          const std::string& note);
  // Adds a note to a case's trail.
  Result<TheftCase> note(std::int64_t id, const std::string& actor, const std::string& note);

 private:
  Status audit(const std::string& action, const std::string& subject, const std::string& detail,
               const std::string& actor);
  Result<TheftCase> reread(std::int64_t id);

  CaseBook& book_;
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace vidyut::mdm
