# fuzz.cmake - the libFuzzer build: cmake -DSOCKBENCH_FUZZ=ON with clang,
# in a build directory of its own (scripts/fuzz uses build-fuzz).
#
# The sources under test get -fsanitize=fuzzer-no-link (coverage
# instrumentation for libFuzzer) with ASan and UBSan; each harness links
# -fsanitize=fuzzer, whose main() is libFuzzer's. UBSan does not recover,
# so undefined behaviour is a crash with its input saved, like an ASan one.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SOCKBENCH_FUZZ needs clang (libFuzzer): "
                      "cmake -DSOCKBENCH_FUZZ=ON -DCMAKE_C_COMPILER=clang")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/harnesses.cmake)

# gcc-only warning names in the project's flags (-Wno-format-truncation)
# -Wno-sign-compare: clang warns inside glibc's NLMSG_OK (lib/diag.c), gcc does not
add_compile_options(-Wno-unknown-warning-option -Wno-sign-compare -g -O1 -fno-omit-frame-pointer)
set(SB_FUZZ_SAN -fsanitize=address,undefined -fno-sanitize-recover=all)

list(TRANSFORM SB_FUZZ_SOURCES PREPEND ${CMAKE_SOURCE_DIR}/)
add_library(sbfuzz STATIC ${SB_FUZZ_SOURCES})
target_include_directories(sbfuzz PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR})
target_compile_options(sbfuzz PRIVATE -fsanitize=fuzzer-no-link ${SB_FUZZ_SAN})
target_link_libraries(sbfuzz PUBLIC PkgConfig::JANSSON PkgConfig::LIBEVENT PkgConfig::URING
                      Threads::Threads m ${CMAKE_DL_LIBS})

foreach(h ${SB_FUZZ_HARNESSES})
  add_executable(fuzz_${h} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${h}.c)
  target_compile_options(fuzz_${h} PRIVATE -fsanitize=fuzzer ${SB_FUZZ_SAN})
  target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer ${SB_FUZZ_SAN})
  target_link_libraries(fuzz_${h} PRIVATE sbfuzz ${SB_FUZZ_LIBS_${h}})
  target_include_directories(fuzz_${h} PRIVATE ${SB_FUZZ_INCS_${h}})
endforeach()
# scripts/fuzz runs what this build made, in this order
string(REPLACE ";" "\n" _sb_fuzz_list "${SB_FUZZ_HARNESSES}")
file(WRITE ${CMAKE_BINARY_DIR}/fuzz-harnesses.txt "${_sb_fuzz_list}\n")
