# harnesses.cmake - the fuzz harnesses (tests/fuzz/fuzz_NAME.c) and the
# project sources they exercise; read by fuzz.cmake (the libFuzzer build)
# and replay.cmake (the normal build's ctest unit.fuzz.NAME).
set(SB_FUZZ_HARNESSES rr http opt axis sweep_spec hist merge plot)

# Only the parsers and readers under test, so that the clang build does not
# depend on the servers, liburing or libevent.
set(SB_FUZZ_SOURCES
    src/proto.c src/proto_http.c src/opt.c src/jsonio.c src/strbuf.c
    bench/axis.c bench/sweep_spec.c
    bench/hist.c bench/merge.c bench/summ.c bench/plot.c bench/plot_io.c)
