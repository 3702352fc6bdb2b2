// Package inboundparse receives replies by email through SendGrid's Inbound Parse Webhook, mounted
// at POST /webhooks/sendgrid/inbound: SendGrid receives the mail for REPLY_DOMAIN (its MX record)
// and posts each message as multipart/form-data with the fields to, cc, from, subject, text, html,
// headers, envelope (JSON: the SMTP recipients and sender), charsets (JSON: each field's
// character set), dkim, SPF, spam_score, attachments and the attachments themselves as file parts.
//
// # Trust
//
// Inbound Parse posts unsigned unless a security policy is attached in SendGrid, and anyone who
// knows the URL can post to it; so the handler trusts only the reply address. The question emails
// (exit, feedback, check-in) carry Reply-To: reply+<ref>@REPLY_DOMAIN, where ref is an HMAC of the
// customer and the email's send key under the link secret (links.Signer.ReplyRef), recorded when
// the email was sent (store.RememberReplyAddress). A reply counts only when a recipient (the SMTP
// envelope first, then To and Cc) is such an address, its ref is recorded, and the record's
// customer and send key give the same ref again (VerifyReplyRef, constant time). Anything else is
// refused: nothing is stored and nobody is signalled. A genuine address is a credential whoever
// holds it can use, so it takes at most Config.MaxRepliesPerDay replies per UTC day
// (DefaultMaxRepliesPerDay), counted on its row in PostgreSQL (Addresses.AdmitReply); a repeat of a
// recorded reply is not counted.
//
// # Answers and SendGrid's retries
//
// SendGrid retries a post that does not get a 2xx (its documentation says 5xx; older versions say
// 4xx and 5xx) for up to 3 days, then drops the message without notice. So the handler answers:
//
//   - 200 when it decided: the reply is recorded (or was before), or it is refused (no reply
//     address, an unknown or forged one, an email that asked nothing, an empty reply, one more
//     than Config.MaxRepliesPerDay replies to the address in a UTC day). A refused
//     message would be refused again on every retry, so SendGrid is told to stop; the log line
//     (warn, "sendgrid inbound: reply refused") says why.
//   - 500 when PostgreSQL failed: the decision could not be made or kept, and SendGrid retries.
//   - 503 with Retry-After when MaxConcurrent posts are being handled; 408 for a body not sent
//     within BodyReadTimeout; 413 over MaxBodyBytes; 400 for a body that is not multipart; 405
//     for methods other than POST.
//
// # Size
//
// The body is read as a stream, never whole: each field is kept up to its cap (text 64 KiB, html
// 256 KiB, headers 64 KiB, the others 8 KiB) and cut beyond it with a log line naming the field
// and the cap; file parts (attachments) are read past and dropped. The note keeps at most
// events.MaxNoteText bytes of the reply, the workflow workflows.MaxReplyText.
//
// # The reply
//
// The text part (or, without one, the text of the html part) without the quoted earlier message
// (replies.StripQuoted) becomes a note through the event layer (events.Reply: an exit reason, a
// feedback or a check-in answer by the email's kind), keyed by the reply's Message-ID, so a post
// SendGrid repeats records nothing new. The note's signal reaches the workflow (status, and a
// hand-off when the reply asks for contact: replies.AsksContact); an exit note counts at the next
// segment recompute.
package inboundparse
