// optim kernels.
#include "common.h"

namespace strata {

void register_optim(napi_env env, napi_value exports) {}

}  // namespace strata
