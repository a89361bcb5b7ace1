"""moto's server with DynamoDB requests applied one at a time, as DynamoDB applies each item write.

DynamoDB evaluates a ConditionExpression and applies the write atomically: of two concurrent
conditional UpdateItems on one item, exactly one succeeds. moto 5.x serves requests on threads and
its DynamoDB backend reads the item, checks the condition and writes it back without a lock, so two
concurrent claims of one message can both succeed (measured: 5 runs in 12 of
`concurrent_invocations_for_one_message_send_one_reply` saw two replies). The tests check our
exactly-once logic, not moto's threading, so this launcher serialises moto's DynamoDB request
handling with one lock; other services stay concurrent.

Usage (as moto_server): python3 moto_server.py -H 127.0.0.1 -p PORT
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_DYNAMODB = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self, *args, **kwargs):
    with _DYNAMODB:
        return _call_action(self, *args, **kwargs)


DynamoHandler.call_action = _serialised_call_action

if __name__ == "__main__":
    main(sys.argv[1:])
