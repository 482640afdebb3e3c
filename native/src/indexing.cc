// Indexing kernels: index_select, gather, scatter_add, index_add and the embedding gradient.
// Index tensors arrive range-checked by the op layer, as int64 or int32.
#include "common.h"

namespace strata {

/** The index as int64: gather/scatter_add (and some CPU paths of the others) accept only kLong. */
static at::Tensor as_long(const at::Tensor& index) {
  return index.scalar_type() == at::kLong ? index : index.to(at::kLong);
}

// indexSelect(x, dim, index)
STRATA_KERNEL(index_select) {
  at::Tensor index = as_long(a.tensor(2));
  return a.ret(at::index_select(a.tensor(0), a.i64(1), index));
}

// gather(x, dim, index)
STRATA_KERNEL(gather) {
  at::Tensor index = as_long(a.tensor(2));
  return a.ret(at::gather(a.tensor(0), a.i64(1), index));
}

// scatterAdd(x, dim, index, src): out of place
STRATA_KERNEL(scatter_add) {
  at::Tensor index = as_long(a.tensor(2));
  return a.ret(at::scatter_add(a.tensor(0), a.i64(1), index, a.tensor(3)));
}

// indexAdd(x, dim, index, src): out of place
STRATA_KERNEL(index_add) {
  at::Tensor index = as_long(a.tensor(2));
  return a.ret(at::index_add(a.tensor(0), a.i64(1), index, a.tensor(3)));
}

// embeddingBackward(g, indices, numWeights, paddingIdx): paddingIdx -1 means none
STRATA_KERNEL(embedding_backward) {
  at::Tensor indices = as_long(a.tensor(1));
  return a.ret(at::embedding_dense_backward(a.tensor(0), indices, a.i64(2), a.i64(3), false));
}

void register_indexing(napi_env env, napi_value exports) {
  define(env, exports, "indexSelect", index_select);
  define(env, exports, "gather", gather);
  define(env, exports, "scatterAdd", scatter_add);
  define(env, exports, "indexAdd", index_add);
  define(env, exports, "embeddingBackward", embedding_backward);
}

}  // namespace strata
