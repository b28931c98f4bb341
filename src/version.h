#ifndef LAMDA_VERSION_H
#define LAMDA_VERSION_H
#define LAMDA_VERSION "0.1.0"
#endif
