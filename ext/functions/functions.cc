#include "ext/functions/functions.h"

namespace lightning::ext {

int RegisterFunctions(sqlite3* db) {
  int (*const all[])(sqlite3*) = {
      RegisterStatsFunctions,       RegisterLatencyFunctions, RegisterConfigFunctions,
      RegisterAdvisorFunctions,     RegisterProfileFunctions, RegisterMetricsFunctions,
      RegisterMaintenanceFunctions, RegisterBenchFunctions,   RegisterVfsFunctions,
      RegisterIndexFunctions,       RegisterHelpFunctions,    RegisterAliasFunctions};
  for (auto* reg : all) {
    int rc = reg(db);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace lightning::ext
