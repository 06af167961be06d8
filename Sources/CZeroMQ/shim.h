#ifndef ZSAGA_CZEROMQ_SHIM_H
#define ZSAGA_CZEROMQ_SHIM_H

#include <zmq.h>
#include <errno.h>

/* Swift cannot see macros that expand to expressions; expose the ones we need as constants. */
static const int zsaga_EAGAIN = EAGAIN;
static const int zsaga_EINTR = EINTR;
static const int zsaga_ETERM = ETERM;
static const int zsaga_EHOSTUNREACH = EHOSTUNREACH;
static const int zsaga_EADDRINUSE = EADDRINUSE;
static const int zsaga_EMSGSIZE = EMSGSIZE;
static const int zsaga_ENOTSOCK = ENOTSOCK;
static const int zsaga_EFSM = EFSM;

#endif
