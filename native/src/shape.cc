// Joining and reordering: cat, flip, constant padding.
#include "common.h"

namespace strata {

STRATA_KERNEL(cat) { return a.ret(at::cat(a.tensor_list(0), a.i64(1))); }
STRATA_KERNEL(flip) { return a.ret(at::flip(a.tensor(0), a.int_list(1))); }
// pad(x, pads, value): pads as torch.nn.functional.pad
STRATA_KERNEL(pad) { return a.ret(at::constant_pad_nd(a.tensor(0), a.int_list(1), a.f64(2))); }

void register_shape(napi_env env, napi_value exports) {
  define(env, exports, "cat", cat);
  define(env, exports, "flip", flip);
  define(env, exports, "pad", pad);
}

}  // namespace strata
