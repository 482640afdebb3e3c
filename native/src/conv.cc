// conv kernels.
#include "common.h"

namespace strata {

void register_conv(napi_env env, napi_value exports) {}

}  // namespace strata
