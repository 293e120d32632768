#pragma once
// Payment webhook: verifies Rihla-Signature, then applies the event exactly once (deduplicated
// by event id through the idempotency executor, principal "webhook:payments"). Concurrent
// redeliveries wait for the first and get its stored answer.
#include <string>

#include "idempotency/idempotency.hpp"
#include "services/flight_service.hpp"
#include "storage/database.hpp"

namespace rihla::services {

class PaymentService {
 public:
  PaymentService(idempotency::Executor& idem, std::string secret) : idem_(idem), secret_(std::move(secret)) {}

  // Throws kServiceUnavailable (no secret configured), kInvalidSignature, kInvalidRequest.
  idempotency::Result Handle(RequestContext& ctx, const std::string& path, const std::string& signature_header,
                             const std::string& raw_body);

 private:
  idempotency::Executor& idem_;
  std::string secret_;
};

}  // namespace rihla::services
