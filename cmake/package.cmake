# package.cmake - `cpack -G DEB` in the build directory: a .deb of what
# `cmake --install` installs, under /usr (sockbench finds its data in
# /usr/share/sockbench beside /usr/bin, lib/datadir.c).
#
# Depends: Debian 12's runtime packages of what the binary itself uses -
# the shared libraries it links (their -dev packages are in scripts/setup;
# it.install checks each library the binary needs against this list) and
# the programs it runs: gnuplot (plot, lesson) and python3 (the py-*
# models).  Recommends: openssh-client (load --server-host, --generators)
# and iproute2 (ss, ip: how the docs look at the same queues by hand).
# The rest of scripts/setup builds or tests sockbench.
set(SOCKBENCH_MAINTAINER "sockbench maintainers <maintainers@sockbench.invalid>"
    CACHE STRING "The Maintainer field of the .deb")
set(CPACK_PACKAGE_NAME sockbench)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "sockbench")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "how socket servers behave under load, and why")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "sockbench runs interchangeable socket server models under its own load\n"
       "generator, sweeps the listen() backlog, somaxconn, the recv size and the\n"
       "send strategy, writes every run as JSON and plots it with gnuplot;\n"
       "its lessons answer beginners' questions with measurements.")
set(CPACK_PACKAGE_CONTACT "${SOCKBENCH_MAINTAINER}")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.34), libevent-2.1-7, libjansson4, liburing2, libncursesw6, libtinfo6, gnuplot-nox | gnuplot, python3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-client, iproute2")
include(CPack)
