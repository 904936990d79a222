#include <pando/graph/delayed.hpp>

namespace pando::detail {

PersistedKey::~PersistedKey() {
  // Handles may outlive the session (globals); then there is nothing left to release.
  if (Session* s = Session::current_or_null())
    if (Runtime* r = s->find_extension<Runtime>()) r->release({&key, 1});
}

}  // namespace pando::detail
