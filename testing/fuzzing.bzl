"""strata_fuzzer: a libFuzzer target that is also a regression test."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def strata_fuzzer(name, srcs, deps = [], **kwargs):
    """Declares `name` (a fuzzer) and `name + "_test"` (its regression run).

    Under --config=fuzz, `name` links libFuzzer's main:
      bazel run --config=fuzz //encoding:coding_fuzzer -- -max_total_time=300
    Otherwise it links //testing:fuzz_main, which feeds it seeded random
    inputs; `name + "_test"` runs that in `bazel test //...`.
    """
    driver = select({
        "//testing:fuzzing": [],
        "//conditions:default": ["//testing:fuzz_main"],
    })
    cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + driver,
        testonly = True,
        **kwargs
    )
    cc_test(
        name = name + "_test",
        srcs = srcs,
        deps = deps + driver,
        **kwargs
    )
