# Chef's request signing as Mixlib::Authentication does it: the library Chef Infra Client signs
# with and Chef's tooling verifies with; the reference our client's signatures are held to.
#
#   ruby mixlib-reference.rb verify   stdin: {"method", "path", "headers": {name: value}, "body_base64", "public_key_pem"}
#                                     stdout: {"valid": true|false, "user_id", "error"}; exit 0 only when valid
#   ruby mixlib-reference.rb sign     stdin: {"method", "path", "body_base64", "user_id", "timestamp", "server_api_version", "private_key_pem"}
#                                     stdout: the signed headers Mixlib computes (protocol 1.3, sha256)
require "json"
require "base64"
require "openssl"
require "mixlib/authentication/signatureverification"
require "mixlib/authentication/signedheaderauth"

input = JSON.parse($stdin.read)
body = Base64.decode64(input.fetch("body_base64"))

case ARGV[0]
when "verify"
  env = {}
  input.fetch("headers").each { |name, value| env["HTTP_#{name.upcase.tr("-", "_")}"] = value }
  captured = Struct.new(:method, :path, :env, :params, :raw_post)
  request = captured.new(input.fetch("method"), input.fetch("path"), env, {}, body)
  public_key = OpenSSL::PKey::RSA.new(input.fetch("public_key_pem"))
  begin
    verified = Mixlib::Authentication::SignatureVerification.new.authenticate_user_request(request, public_key)
    puts JSON.generate(valid: !verified.nil?, user_id: verified && verified.name)
    exit(verified.nil? ? 1 : 0)
  rescue Mixlib::Authentication::AuthenticationError => e
    puts JSON.generate(valid: false, error: e.message)
    exit 1
  end
when "sign"
  signing = Mixlib::Authentication::SignedHeaderAuth.signing_object(
    http_method: input.fetch("method").downcase.to_sym,
    path: input.fetch("path"),
    body: body,
    timestamp: input.fetch("timestamp"),
    user_id: input.fetch("user_id"),
    proto_version: "1.3",
    headers: { "X-Ops-Server-API-Version" => input.fetch("server_api_version") }
  )
  private_key = OpenSSL::PKey::RSA.new(input.fetch("private_key_pem"))
  puts JSON.generate(signing.sign(private_key, sign_algorithm: "sha256", sign_version: "1.3"))
else
  warn "usage: ruby mixlib-reference.rb verify|sign < request.json"
  exit 2
end
