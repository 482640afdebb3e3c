// norm kernels.
#include "common.h"

namespace strata {

void register_norm(napi_env env, napi_value exports) {}

}  // namespace strata
