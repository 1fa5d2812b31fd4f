# capture.cmake - run the built binary with one argument and keep its
# stdout in a file: sockbench.1 (`sockbench --man`) and the bash completion
# (`sockbench --bash-completion`), written by the binary from its own
# tables so that neither can drift from them.  No shell: the command is
# an argv, its output a file.
#   cmake -DBIN=<sockbench> -DARG=<--man> -DOUT=<file> -P capture.cmake
execute_process(COMMAND ${BIN} ${ARG} OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "${BIN} ${ARG}: exit status ${rc}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
