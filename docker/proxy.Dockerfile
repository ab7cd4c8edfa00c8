# The proxy image (HTTP API, SIP registrar, /metrics), with locctl for the operator. Build from the repository root
# (docker-compose.yml does):
#   docker build -f docker/proxy.Dockerfile -t locationactors-proxy .
# Configuration comes from LA_* environment variables (hocon/proxy.hocon names each one); the shipped defaults bind
# 127.0.0.1, so a container sets LA_HTTP_ENDPOINT, LA_SIP_ENDPOINT and LA_PROXY_HOST to 0.0.0.0 and
# LA_PROXY_PUBLIC_HOST to its name.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first: the restore layer is reused as long as no package reference changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Server.props src/
COPY src/LocationActors.Domain/LocationActors.Domain.csproj src/LocationActors.Domain/
COPY src/LocationActors.Cluster/LocationActors.Cluster.csproj src/LocationActors.Cluster/
COPY src/LocationActors.Storage/LocationActors.Storage.csproj src/LocationActors.Storage/
COPY src/LocationActors.Sip/LocationActors.Sip.csproj src/LocationActors.Sip/
COPY src/LocationActors.Proxy/LocationActors.Proxy.csproj src/LocationActors.Proxy/
COPY src/LocationActors.Cli/LocationActors.Cli.csproj src/LocationActors.Cli/
RUN dotnet restore src/LocationActors.Proxy/LocationActors.Proxy.csproj \
 && dotnet restore src/LocationActors.Cli/LocationActors.Cli.csproj
COPY hocon/ hocon/
COPY sql/ sql/
COPY src/ src/
RUN dotnet publish src/LocationActors.Proxy/LocationActors.Proxy.csproj -c Release --no-restore -o /app \
 && dotnet publish src/LocationActors.Cli/LocationActors.Cli.csproj -c Release --no-restore -o /app/locctl

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# `docker compose exec proxy locctl status`: inside the container locctl's default URL (127.0.0.1:8080) is the proxy.
RUN ln -s /app/locctl/locctl /usr/local/bin/locctl
# The image's unprivileged user; ports 8080 and 5060 are above 1023, so no capability is needed.
USER $APP_UID
ENTRYPOINT ["dotnet", "LocationActors.Proxy.dll"]
CMD ["run"]
