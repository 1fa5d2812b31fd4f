/* errname.c - errno symbols for the result JSON. */
#include <errno.h>
#include <stddef.h>

#include "sockbench/errname.h"

#define E(x) [x] = #x
static const char *const names[] = {
    E(EPERM),	      E(ENOENT),	  E(EINTR),	  E(EIO),	   E(EBADF),
    E(EAGAIN),	      E(ENOMEM),	  E(EACCES),	  E(EFAULT),	   E(EBUSY),
    E(EEXIST),	      E(EINVAL),	  E(ENFILE),	  E(EMFILE),	   E(ENOSPC),
    E(EPIPE),	      E(ENOSYS),	  E(ENOTSOCK),	  E(EMSGSIZE),	   E(EPROTOTYPE),
    E(ENOPROTOOPT),   E(EPROTONOSUPPORT), E(EOPNOTSUPP),  E(EAFNOSUPPORT), E(EADDRINUSE),
    E(EADDRNOTAVAIL), E(ENETDOWN),	  E(ENETUNREACH), E(ENETRESET),	   E(ECONNABORTED),
    E(ECONNRESET),    E(ENOBUFS),	  E(EISCONN),	  E(ENOTCONN),	   E(ESHUTDOWN),
    E(ETIMEDOUT),     E(ECONNREFUSED),	  E(EHOSTDOWN),	  E(EHOSTUNREACH), E(EALREADY),
    E(EINPROGRESS),   E(ECANCELED),	  E(EROFS),	  E(EDQUOT),	   E(EFBIG),
};
#undef E

const char *errname(int errnum)
{
	if (errnum <= 0 || (size_t)errnum >= sizeof names / sizeof names[0])
		return NULL;
	return names[errnum];
}
