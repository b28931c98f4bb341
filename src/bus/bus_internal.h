/* bus_internal — for the bus module's own files only (bus_deliver.c): the libnats connection
 * behind a bus, so a second file can use libnats without a second connection. */
#ifndef LAMDA_BUS_INTERNAL_H
#define LAMDA_BUS_INTERNAL_H

#include <nats/nats.h>

#include "bus/bus.h"

natsConnection *bus_nats_connection(bus *b);

#endif
