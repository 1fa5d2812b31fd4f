# harnesses.cmake - the fuzz harnesses (tests/fuzz/fuzz_NAME.c) and the
# project sources they exercise; read by fuzz.cmake (the libFuzzer build)
# and replay.cmake (the normal build's ctest unit.fuzz.NAME).
set(SB_FUZZ_HARNESSES rr http opt axis sweep_spec hist merge plot)

# http_diff holds the reply framing against libhttp-parser (Debian's
# libhttp-parser-dev, unmaintained upstream): an oracle for this harness
# alone (SB_FUZZ_LIBS_NAME, SB_FUZZ_INCS_NAME: a harness's own); never
# sockbench.
find_path(SB_HTTP_PARSER_INCLUDE http_parser.h)
find_library(SB_HTTP_PARSER_LIB http_parser)
if(SB_HTTP_PARSER_INCLUDE AND SB_HTTP_PARSER_LIB)
  list(APPEND SB_FUZZ_HARNESSES http_diff)
  set(SB_FUZZ_LIBS_http_diff ${SB_HTTP_PARSER_LIB})
  set(SB_FUZZ_INCS_http_diff ${SB_HTTP_PARSER_INCLUDE})
else()
  message(WARNING "libhttp-parser not found (scripts/setup installs libhttp-parser-dev): "
                  "the fuzz harness http_diff and its ctest unit.fuzz.http_diff are left out")
endif()

# The parsers and readers under test and what they call.
set(SB_FUZZ_SOURCES
    lib/proto.c lib/proto_http.c lib/http_resp.c lib/opt.c lib/optab.c lib/jsonio.c lib/strbuf.c lib/hist.c
    lib/clock.c lib/words.c lib/net.c lib/diag.c lib/errname.c lib/proc.c lib/stopsig.c lib/datadir.c
    bench/load/load_opts.c
    bench/sweep/axis.c bench/sweep/sweep_spec.c bench/sweep/sweep_server.c bench/sweep/sweep_remote.c bench/sweep/sweep_ident.c bench/sweep/summ.c
    bench/load/merge.c bench/load/merge_check.c bench/load/slots.c bench/load/lstats.c bench/plot/plot.c bench/plot/plot_io.c bench/plot/plot_fair.c bench/plot/plot_cli.c
    bench/plot/plot_cases.c bench/plot/plot_anim.c bench/plot/plot_send.c bench/plot/plot_herd.c bench/plot/plot_recv.c)
# serve's option table names the models (--model: server_find), so the
# sweep_spec harness links the servers and their core too.
file(GLOB _sb_fuzz_servers RELATIVE ${CMAKE_SOURCE_DIR}
     ${CMAKE_SOURCE_DIR}/servers/*.c ${CMAKE_SOURCE_DIR}/servers/core/*.c)
list(APPEND SB_FUZZ_SOURCES ${_sb_fuzz_servers})
