// loss kernels.
#include "common.h"

namespace strata {

void register_loss(napi_env env, napi_value exports) {}

}  // namespace strata
