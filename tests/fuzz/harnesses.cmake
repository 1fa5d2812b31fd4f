# harnesses.cmake - the fuzz harnesses (tests/fuzz/fuzz_NAME.c) and the
# project sources they exercise; read by fuzz.cmake (the libFuzzer build)
# and replay.cmake (the normal build's ctest unit.fuzz.NAME).
set(SB_FUZZ_HARNESSES rr http opt axis sweep_spec hist merge plot)

# Only the parsers and readers under test, so that the clang build does not
# depend on the servers, liburing or libevent.
set(SB_FUZZ_SOURCES
    lib/proto.c lib/proto_http.c lib/opt.c lib/jsonio.c lib/strbuf.c lib/hist.c lib/clock.c
    bench/sweep/axis.c bench/sweep/sweep_spec.c bench/sweep/summ.c
    bench/load/merge.c bench/plot/plot.c bench/plot/plot_io.c)
