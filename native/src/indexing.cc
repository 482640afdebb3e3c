// indexing kernels.
#include "common.h"

namespace strata {

void register_indexing(napi_env env, napi_value exports) {}

}  // namespace strata
