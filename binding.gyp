{
  "targets": [
    {
      "target_name": "strata",
      "sources": [
        "native/src/addon.cc",
        "native/src/tensor.cc",
        "native/src/elementwise.cc",
        "native/src/reduce.cc",
        "native/src/linalg.cc",
        "native/src/shape.cc",
        "native/src/indexing.cc",
        "native/src/conv.cc",
        "native/src/norm.cc",
        "native/src/loss.cc",
        "native/src/optim.cc",
        "native/src/rnn.cc",
        "native/src/attention.cc",
        "native/src/quantized.cc",
        "native/src/device.cc",
        "native/src/distributed.cc"
      ],
      "include_dirs": ["native/src", "<!@(node scripts/find-libtorch.mjs --include)"],
      "defines": ["NAPI_VERSION=9", "USE_C10D_GLOO", "<!@(node scripts/find-libtorch.mjs --defines)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3", "-fno-math-errno", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "libraries": [
        "-L<!(node scripts/find-libtorch.mjs --libdir)",
        "-Wl,-rpath,<!(node scripts/find-libtorch.mjs --libdir)",
        "<!@(node scripts/find-libtorch.mjs --libs)"
      ]
    }
  ]
}
