# The cluster node image. Build from the repository root (docker-compose.yml does):
#   docker build -f docker/node.Dockerfile -t locationactors-node .
# Configuration comes from LA_* environment variables (hocon/node.hocon names each one); the shipped defaults bind
# 127.0.0.1, so a container sets LA_NODE_HOST=0.0.0.0 and LA_NODE_PUBLIC_HOST=<its name>.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first: the restore layer is reused as long as no package reference changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Server.props src/
COPY src/LocationActors.Domain/LocationActors.Domain.csproj src/LocationActors.Domain/
COPY src/LocationActors.Storage/LocationActors.Storage.csproj src/LocationActors.Storage/
COPY src/LocationActors.Cluster/LocationActors.Cluster.csproj src/LocationActors.Cluster/
COPY src/LocationActors.Node/LocationActors.Node.csproj src/LocationActors.Node/
RUN dotnet restore src/LocationActors.Node/LocationActors.Node.csproj
# sql/ travels inside the storage assembly (the node creates missing tables); hocon/ is copied next to the binary.
COPY hocon/ hocon/
COPY sql/ sql/
COPY src/ src/
RUN dotnet publish src/LocationActors.Node/LocationActors.Node.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# The image's unprivileged user: the node needs no file system access beyond reading /app; its /metrics and
# /health listen on 9464 (LA_NODE_HTTP in docker-compose.yml), above 1023, so no capability is needed.
USER $APP_UID
ENTRYPOINT ["dotnet", "LocationActors.Node.dll"]
# `run` joins the cluster; `check` (docker compose run --rm node1 check) prints the locdb layout and probes members.
CMD ["run"]
