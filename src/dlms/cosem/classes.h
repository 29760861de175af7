// All COSEM interface classes this folder implements, for callers that build a whole meter.
#pragma once

#include "dlms/cosem/association_ln.h"      // class 15
#include "dlms/cosem/clock_object.h"        // class 8
#include "dlms/cosem/disconnect_control.h"  // class 70
#include "dlms/cosem/limiter.h"             // class 71
#include "dlms/cosem/logical_device.h"
#include "dlms/cosem/object.h"
#include "dlms/cosem/profile_generic.h"  // class 7
#include "dlms/cosem/push_setup.h"       // class 40
#include "dlms/cosem/register.h"         // classes 1, 3, 4
